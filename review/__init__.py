"""Review: the web UI where creators, the Director of IT and escalation owners act on items."""
