"""The offices of one sending state: import, phone numbers, routing, validation."""

from lettergen.directory.model import KINDS, ROLES, Directory, Office, load_directories

__all__ = ["KINDS", "ROLES", "Directory", "Office", "load_directories"]
