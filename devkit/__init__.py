"""Development tools kept out of the product's rooms: the platform sandbox, the demo trust,
the local Airflow cluster helper and model training. They ship so that `make demo` works."""
