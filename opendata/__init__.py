"""Open data and transparency: follow-the-money pages, statistics, OCDS and 360Giving.

The fourth app reads all three others (`opendata → market, bids, donors`); nothing
imports it except the app factory (`composition.app.route_handlers`) and the CLI, so the
dependency direction of DESIGN §2 (`market` imports neither bids nor donors) holds.
"""
