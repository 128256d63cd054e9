"""A local server of the Tencent Cloud face API (IAI 2020-03-03) for the official SDK to talk to."""
