"""The review web app: FastAPI app, routes, templates. Entry point over `review.domain`."""
