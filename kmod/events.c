// SPDX-License-Identifier: GPL-2.0
/*
 * Status events. They carry only low-sensitivity facts (ids, pids in the
 * initial pid namespace, times, HRESULTs, addresses of failed reads) and go to
 * the "status" group, which only CAP_SYS_ADMIN may join
 * (GENL_MCAST_CAP_SYS_ADMIN). Dump data never goes to a group.
 */
#include <net/genetlink.h>
#include "kmdump.h"
#include "genl.h"
#include "events.h"
#include "session.h"

/* False until the family is registered (KUnit suites run before that). */
static bool kmd_events_on;

void kmd_events_enable(bool on)
{
	WRITE_ONCE(kmd_events_on, on);
}

struct kmd_event {
	u32 type, hresult;
	struct kmd_session *s;
	u64 addr, len, bytes;
	bool has_range, has_bytes;
};

static int kmd_event_fill(struct sk_buff *skb, const struct kmd_event *ev)
{
	struct kmd_session *s = ev->s;

	if (nla_put_u32(skb, KMDUMP_A_HRESULT, ev->hresult) ||
	    nla_put_u32(skb, KMDUMP_A_EVENT_TYPE, ev->type) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, KMDUMP_A_REQUESTER_PID, s->requester_pid))
		return -EMSGSIZE;
	if (s->target_pid && nla_put_u32(skb, KMDUMP_A_PID, s->target_pid))
		return -EMSGSIZE;
	if (ev->type == KMDUMP_EVENT_TYPE_OPENED &&
	    nla_put_u64_64bit(skb, KMDUMP_A_FREEZE_NS, s->freeze_ns, KMDUMP_A_PAD))
		return -EMSGSIZE;
	if (ev->type == KMDUMP_EVENT_TYPE_CLOSED &&
	    nla_put_u64_64bit(skb, KMDUMP_A_PAUSE_NS, s->pause_ns, KMDUMP_A_PAD))
		return -EMSGSIZE;
	if (ev->has_range &&
	    (nla_put_u64_64bit(skb, KMDUMP_A_ADDR, ev->addr, KMDUMP_A_PAD) ||
	     nla_put_u64_64bit(skb, KMDUMP_A_LEN, ev->len, KMDUMP_A_PAD)))
		return -EMSGSIZE;
	if (ev->has_bytes && nla_put_u64_64bit(skb, KMDUMP_A_BYTES, ev->bytes, KMDUMP_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static void kmd_event_send(const struct kmd_event *ev)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(kmd_events_on) ||
	    !genl_has_listeners(&kmd_genl_family, &init_net, KMD_MCGRP_STATUS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &kmd_genl_family, 0, KMDUMP_CMD_STATUS_NTF);
	if (!hdr || kmd_event_fill(skb, ev)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&kmd_genl_family, skb, 0, KMD_MCGRP_STATUS, GFP_KERNEL);
}

void kmd_event_session(struct kmd_session *s, u32 type, u32 hresult)
{
	struct kmd_event ev = { .type = type, .hresult = hresult, .s = s };

	kmd_event_send(&ev);
}

void kmd_event_kdump(struct kmd_session *s, u32 hresult, u64 bytes)
{
	struct kmd_event ev = {
		.type = KMDUMP_EVENT_TYPE_KERNEL_DUMP_FINISHED, .hresult = hresult,
		.s = s, .bytes = bytes, .has_bytes = true,
	};

	kmd_event_send(&ev);
}

void kmd_event_read_failed(struct kmd_session *s, u64 addr, u64 len, u32 hresult)
{
	struct kmd_event ev = {
		.type = KMDUMP_EVENT_TYPE_READ_FAILED, .hresult = hresult, .s = s,
		.addr = addr, .len = len, .has_range = true,
	};

	kmd_event_send(&ev);
}
