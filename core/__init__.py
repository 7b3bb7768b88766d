"""Shared types every layer may use: findings, severities, policy sections, platforms."""
