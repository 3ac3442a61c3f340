"""The case tracker: every alert and channel request becomes a case a caseworker works to closure."""
