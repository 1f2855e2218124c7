"""Request and response models of collections' routes: the dunning policy, runs and notices,
disputes, promises and payment plans, a customer's receivables, insolvency and write-offs."""
