/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Status events on the admin-only "status" multicast group: every session
 * publishes its life there (opened, kernel dump finished, read failures,
 * cancelled, watchdog expired, closed). Nothing is built without listeners.
 */
#ifndef KMDUMP_EVENTS_H
#define KMDUMP_EVENTS_H

#include <linux/types.h>

struct kmd_session;

void kmd_events_enable(bool on);
void kmd_event_session(struct kmd_session *s, u32 type, u32 hresult);
void kmd_event_kdump(struct kmd_session *s, u32 hresult, u64 bytes);
void kmd_event_read_failed(struct kmd_session *s, u64 addr, u64 len, u32 hresult);

#endif /* KMDUMP_EVENTS_H */
