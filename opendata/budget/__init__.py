"""The district's budget in public: execution figures read from the ledger (`rules`,
`queries`), the /budget page's charts and labels (`views`) and the Fiscal Data Package
(`fiscal`)."""
