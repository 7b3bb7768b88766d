"""The review UI's routes, one module per area: log-in, queue and items, dashboard, IT pages."""
