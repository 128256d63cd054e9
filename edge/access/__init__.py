"""Access decision: multi-frame evidence per track, groups, schedules, cooldown."""
