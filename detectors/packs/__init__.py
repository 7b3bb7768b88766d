"""Policy packs (YAML data), a package only so that wheels include the files."""
