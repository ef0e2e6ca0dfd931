"""Community funds (社区基金): one per community, its income, its calls for proposals
(kernel tenders decided by the committee's recorded votes) and its grants."""
