"""The review domain: actions on items, routing per sections 4, 5 and 12, notifications,
authorisation and export. No web framework here."""
