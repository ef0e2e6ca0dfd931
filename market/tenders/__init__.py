"""Tenders: departments post public-service tenders with a date-driven lifecycle.

Modules: `rules` (pure state machine, time rules), `inputs` (pure form validation),
`documents` (pure content checks), `services` (department workspace writes),
`lifecycle` (status transitions after publication, budget hold/post/void; what the
bids app calls), `qa` (questions and answers), `queries` (read models), `tick`
(chronograph), `hooks` (amendment and bid-count callbacks other apps register), `demo`.
"""
