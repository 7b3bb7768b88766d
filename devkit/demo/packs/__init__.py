"""The demo trust's own policy packs (POSTWARDEN_DETECTION__PACKS_DIR in `postwarden demo`)."""
