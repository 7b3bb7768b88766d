"""Detectors: personal data (Presidio) and policy rules, each finding citing a policy section."""
