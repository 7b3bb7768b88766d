"""One whole monitoring cycle without a scheduler (`postwarden run`, the demo, tests)."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.config import PipelineConfig
from pipeline.credentials import CredentialSource, from_environment
from pipeline.pull import PullResult, list_accounts, pull_account
from pipeline.scan import ScanResult, scan_pending


def run_cycle(
    config: PipelineConfig,
    *,
    credentials: CredentialSource = from_environment,
    progress: Callable[[str], None] = lambda _msg: None,
) -> tuple[list[PullResult], ScanResult]:
    """Pull every approved account, then scan and route what is new."""
    results = []
    ids = list_accounts(config)
    progress(f"pulling {len(ids)} approved account(s)")
    for account_id in ids:
        result = pull_account(account_id, config, credentials=credentials)
        progress(
            f"  account {account_id}: {result.state} (+{result.new} new, {result.changed} edited)"
            + (f" — {result.error}" if result.error else "")
        )
        results.append(result)
    scan = scan_pending(config, credentials=credentials)
    progress(
        f"scanned {scan.scanned} post(s): {scan.findings} finding(s), "
        f"{scan.items_opened} review item(s) opened, {scan.items_updated} updated"
    )
    return results, scan
