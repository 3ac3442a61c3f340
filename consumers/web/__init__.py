"""The web pages: caseworker console, citizens' and partners' forms, 12345 tickets, supervisor overview."""
