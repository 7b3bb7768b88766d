"""The demo trust's own policy packs (POSTWARDEN_PACKS_DIR in `postwarden demo`)."""
