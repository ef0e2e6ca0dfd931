"""The district's places: district → streets (街道) → communities (社区, residents'
committees). Organizations, departments and tenders belong to one; budget lines and
community funds are per place (market/budget/, the funds app)."""
