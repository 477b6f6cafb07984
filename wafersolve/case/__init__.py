"""Case files: loading (TOML -> frozen SI dataclasses), the material library, validation."""
