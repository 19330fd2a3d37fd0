// SPDX-License-Identifier: GPL-2.0
/*
 * Memory reads: mem-read-to-fd (bytes go straight into the caller's file at
 * the caller's offsets) and mem-read (bytes come back in netlink messages).
 *
 * Both are dumps. The start callback runs in the requester's context, where
 * the output descriptor resolves; each dump step reads a bounded amount (at
 * most KMD_PIECES_PER_CALL pieces of KMD_PIECE_MAX bytes, or one message's
 * worth of data), so no call holds anything for long and netlink's own flow
 * control paces the reads. A piece is reported as one message: its range,
 * address, length, bytes read, the exact unreadable extents and an HRESULT.
 * Engine calls are serialised per session by the session's io_lock and stop
 * with -ECANCELED as soon as the session ends.
 *
 * The first step of a dump runs inside the request's sendmsg, under genl's
 * cb_lock, which every generic netlink family shares (a module loading a
 * family waits for it, and every other request waits behind that). A read
 * can wait on the target (its mmap_lock, a page fault on a file), so the
 * first step only sends the "read accepted" message (hresult and session-id,
 * no range-index; clients skip it). NLMSG_NOOP would do, but libnl counts a
 * NOOP as the end of a request's sequence. The reads start at the second step,
 * which netlink runs from the requester's own recvmsg, holding only that
 * socket's dump mutex. There a wait is the requester's alone, bounded by the
 * engine (mmap_lock polling) and killable.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "kmdump.h"
#include "kmdump-policy.h"
#include "genl.h"
#include "session.h"
#include "perm.h"
#include "events.h"
#include "errno_hresult.h"

#define KMD_PIECE_MAX		(256 * 1024)
#define KMD_PIECES_PER_CALL	16
/* Extents are page-granular after coalescing: at most one per page. */
#define KMD_PIECE_EXTENTS	(KMD_PIECE_MAX / PAGE_SIZE + 2)
/* One failed extent in a message: nest, addr and len (each with a pad), hresult. */
#define KMD_EXTENT_ROOM		48
/* Room a data message needs besides its data: header, scalars, extents. */
#define KMD_DATA_OVERHEAD	(512 + (KMDUMP_DATA_CHUNK_MAX / PAGE_SIZE + 2) * KMD_EXTENT_ROOM)
/* Room a mem-read-to-fd message needs: header, scalars, a whole piece's extents. */
#define KMD_FD_PIECE_ROOM	(512 + KMD_PIECE_EXTENTS * KMD_EXTENT_ROOM)

struct kmd_extent {
	u64 addr, len;
	u32 hr;		/* why its bytes were not read */
};

struct kmd_mem_dump {
	struct kmd_session *s;
	struct file *out;		/* mem-read-to-fd only */
	void *buf;			/* mem-read only */
	struct kmd_mem_range *ranges;
	u32 nr, idx;			/* next range to read */
	u64 pos;			/* next offset within ranges[idx] */
	/* the piece read but not yet reported */
	bool pending;
	u32 p_idx;
	u64 p_addr, p_len, p_done;
	u32 nfail;
	struct kmd_extent fail[KMD_PIECE_EXTENTS];
	bool first_sent;		/* the "read accepted" message of the first step */
};

struct kmd_mem_cursor {
	struct kmd_mem_dump *st;
};

static_assert(sizeof(struct kmd_mem_cursor) <= KMD_DUMP_CURSOR_MAX);

static struct kmd_mem_dump *kmd_mem_state(struct netlink_callback *cb)
{
	return ((struct kmd_mem_cursor *)kmd_nl_dump_cursor(cb))->st;
}

static void kmd_mem_dump_free(struct kmd_mem_dump *st)
{
	if (!st)
		return;
	if (st->out)
		fput(st->out);
	kvfree(st->ranges);
	kvfree(st->buf);
	kmd_session_put(st->s);
	kfree(st);
}

/* The engine reports each unreadable extent; neighbours failing alike merge. */
static void kmd_mem_collect(void *arg, u32 range_idx, u64 addr, u64 len, int reason)
{
	struct kmd_mem_dump *st = arg;
	struct kmd_extent *last = st->nfail ? &st->fail[st->nfail - 1] : NULL;
	u32 hr = kmd_errno_to_hresult(reason);

	if (last && last->addr + last->len == addr && last->hr == hr) {
		last->len += len;
	} else if (st->nfail < KMD_PIECE_EXTENTS) {
		st->fail[st->nfail].addr = addr;
		st->fail[st->nfail].len = len;
		st->fail[st->nfail].hr = hr;
		st->nfail++;
	} else {
		/* Cannot happen with page-granular extents; stay conservative. */
		last->len = addr + len - last->addr;
	}
}

static int kmd_mem_parse_range(const struct nlattr *nest, bool to_fd,
			       struct kmd_mem_range *r, struct netlink_ext_ack *extack)
{
	const struct nlattr *addr = nla_find_nested(nest, KMDUMP_A_RANGE_ADDR);
	const struct nlattr *len = nla_find_nested(nest, KMDUMP_A_RANGE_LEN);
	const struct nlattr *off = nla_find_nested(nest, KMDUMP_A_RANGE_OFFSET);
	u64 end;

	if (to_fd && !off) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "each range needs addr, len and offset");
		return -EINVAL;
	}
	if (!addr || !len) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "each range needs addr and len");
		return -EINVAL;
	}
	r->addr = nla_get_u64(addr);
	r->len = nla_get_u64(len);
	r->file_off = off ? nla_get_u64(off) : 0;
	if (!r->len) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a range's len must not be 0");
		return -EINVAL;
	}
	if (r->len > KMD_MEM_RANGE_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a range is longer than 1 TiB");
		return -E2BIG;
	}
	if (check_add_overflow(r->addr, r->len, &end) ||
	    check_add_overflow(r->file_off, r->len, &end) || end > MAX_LFS_FILESIZE) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a range's addr+len or offset+len overflows");
		return -ERANGE;
	}
	if (r->addr + r->len > TASK_SIZE_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a range reaches past the end of user address space (TASK_SIZE_MAX)");
		return -ERANGE;
	}
	return 0;
}

static int kmd_mem_parse_ranges(struct netlink_callback *cb, struct kmd_mem_dump *st,
				bool to_fd)
{
	const struct nlattr *a;
	int rem, err;
	u32 n = 0;

	nlmsg_for_each_attr(a, cb->nlh, GENL_HDRLEN, rem)
		n += nla_type(a) == KMDUMP_A_RANGE;
	if (!n) {
		NL_SET_ERR_MSG_MOD(cb->extack, "no range to read: add at least one range");
		NL_SET_ERR_ATTR_MISS(cb->extack, NULL, KMDUMP_A_RANGE);
		return -EINVAL;
	}
	if (n > KMDUMP_MAX_RANGES) {
		NL_SET_ERR_MSG_MOD(cb->extack, "too many ranges in one request (at most 4096)");
		return -E2BIG;
	}
	st->ranges = kvcalloc(n, sizeof(*st->ranges), GFP_KERNEL_ACCOUNT);
	if (!st->ranges)
		return -ENOMEM;
	nlmsg_for_each_attr(a, cb->nlh, GENL_HDRLEN, rem) {
		if (nla_type(a) != KMDUMP_A_RANGE)
			continue;
		err = kmd_mem_parse_range(a, to_fd, &st->ranges[st->nr], cb->extack);
		if (err)
			return err;
		st->nr++;
	}
	return 0;
}

static int kmd_mem_start(struct netlink_callback *cb)
{
	const struct genlmsghdr *req = nlmsg_data(cb->nlh);
	bool to_fd = req->cmd == KMDUMP_CMD_MEM_READ_TO_FD;
	const struct nlattr *out_fd = kmd_nl_dump_attr(cb, KMDUMP_A_OUT_FD);
	struct kmd_mem_dump *st;
	int err;

	if (to_fd && !out_fd) {
		NL_SET_ERR_MSG_MOD(cb->extack, "missing out-fd: the file the memory is written to");
		NL_SET_ERR_ATTR_MISS(cb->extack, NULL, KMDUMP_A_OUT_FD);
		return -EINVAL;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	st->s = kmd_nl_dump_session(cb);
	if (IS_ERR(st->s)) {
		err = PTR_ERR(st->s);
		st->s = NULL;
		goto fail;
	}
	err = kmd_mem_parse_ranges(cb, st, to_fd);
	if (err)
		goto fail;
	if (to_fd) {
		st->out = kmd_perm_out_fd(out_fd, cb->extack);
		if (IS_ERR(st->out)) {
			err = PTR_ERR(st->out);
			st->out = NULL;
			goto fail;
		}
		cb->min_dump_alloc = KMD_FD_PIECE_ROOM;
	} else {
		st->buf = kvmalloc(KMDUMP_DATA_CHUNK_MAX, GFP_KERNEL_ACCOUNT);
		if (!st->buf) {
			err = -ENOMEM;
			goto fail;
		}
		cb->min_dump_alloc = KMDUMP_DATA_CHUNK_MAX + KMD_DATA_OVERHEAD;
	}
	((struct kmd_mem_cursor *)kmd_nl_dump_cursor(cb))->st = st;
	return 0;
fail:
	kmd_mem_dump_free(st);
	return err;
}

int kmd_nl_mem_start(struct netlink_callback *cb)
{
	return kmd_nl_dump_start(cb, kmd_mem_start);
}

int kmd_nl_mem_done(struct netlink_callback *cb)
{
	kmd_mem_dump_free(kmd_mem_state(cb));
	return 0;
}

static int kmd_mem_put_extents(struct sk_buff *skb, const struct kmd_mem_dump *st)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < st->nfail; i++) {
		nest = nla_nest_start(skb, KMDUMP_A_FAILED);
		if (!nest ||
		    nla_put_u64_64bit(skb, KMDUMP_A_RANGE_ADDR, st->fail[i].addr,
				      KMDUMP_A_RANGE_PAD) ||
		    nla_put_u64_64bit(skb, KMDUMP_A_RANGE_LEN, st->fail[i].len,
				      KMDUMP_A_RANGE_PAD) ||
		    nla_put_u32(skb, KMDUMP_A_RANGE_HRESULT, st->fail[i].hr))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int kmd_mem_put_piece(struct sk_buff *skb, struct netlink_callback *cb,
			     const struct kmd_mem_dump *st)
{
	void *hdr = kmd_nl_dump_put(skb, cb);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KMDUMP_A_HRESULT, st->nfail ? KMDUMP_E_PARTIAL_COPY : KMDUMP_S_OK) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, st->s->id) ||
	    nla_put_u32(skb, KMDUMP_A_RANGE_INDEX, st->p_idx) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_ADDR, st->p_addr) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_LEN, st->p_len) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_BYTES_DONE, st->p_done) ||
	    kmd_mem_put_extents(skb, st) ||
	    (st->buf && nla_put(skb, KMDUMP_A_DATA, st->p_len, st->buf))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static void kmd_mem_report_failures(struct kmd_mem_dump *st)
{
	u64 failed = 0;
	u32 i;

	for (i = 0; i < st->nfail; i++)
		failed += st->fail[i].len;
	if (failed)
		kmd_event_read_failed(st->s, st->fail[0].addr, failed, KMDUMP_E_PARTIAL_COPY);
}

/* Reads the next piece (at most @room bytes for mem-read) into st->p_*. */
static int kmd_mem_read_piece(struct kmd_mem_dump *st, u64 room)
{
	struct kmd_mem_range *r = &st->ranges[st->idx];
	u64 len = min_t(u64, r->len - st->pos, st->out ? KMD_PIECE_MAX : room);
	u64 addr = r->addr + st->pos;
	long done;
	int err;

	err = kmd_session_io_lock(st->s);
	if (err)
		return err;
	st->nfail = 0;
	if (st->out) {
		struct kmd_mem_range sub = {
			.addr = addr, .len = len, .file_off = r->file_off + st->pos,
		};

		err = kmd_mem_read_to_file(st->s->cap, &sub, 1, st->out, kmd_mem_collect, st);
		done = sub.bytes_read;
	} else {
		done = kmd_mem_read_buf(st->s->cap, addr, st->buf, len, kmd_mem_collect, st);
		err = done < 0 ? done : 0;
	}
	kmd_session_io_unlock(st->s);
	if (err)
		return err;
	st->p_idx = st->idx;
	st->p_addr = addr;
	st->p_len = len;
	st->p_done = done;
	st->pending = true;
	st->pos += len;
	if (st->pos == r->len) {
		st->idx++;
		st->pos = 0;
	}
	kmd_mem_report_failures(st);
	return 0;
}

/* Says why a read stopped; netlink_dump() sends it with the errno in NLMSG_DONE. */
static int kmd_mem_read_failed(struct netlink_callback *cb, int err)
{
	switch (err) {
	case -ECANCELED:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "the session ended during the read (closed, watchdog expired or socket closed)");
		break;
	case -EINTR:
		NL_SET_ERR_MSG_MOD(cb->extack, "the read was interrupted by a fatal signal");
		break;
	case -ESRCH:
		NL_SET_ERR_MSG_MOD(cb->extack, "the target exited during the read");
		break;
	case -ETIMEDOUT:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "the target's memory map stayed locked too long: try the read again");
		break;
	case -EDQUOT:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "the session's kernel memory limit (session_mem_max_mb or user_mem_max_mb) was reached");
		break;
	case -EACCES:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "the target called exec or changed its credentials during the session: kmdump released it");
		break;
	case -EMSGSIZE:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "a piece does not fit a netlink message (a kmdump bug)");
		break;
	default:
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "reading the target's memory or writing it to out-fd failed");
		break;
	}
	return err;
}

/* The first step, under cb_lock: "read accepted", and no read yet. */
static int kmd_mem_first_step(struct sk_buff *skb, struct netlink_callback *cb,
			      struct kmd_mem_dump *st)
{
	void *hdr = kmd_nl_dump_put(skb, cb);

	if (!hdr || nla_put_u32(skb, KMDUMP_A_HRESULT, KMDUMP_S_OK) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, st->s->id))
		return kmd_mem_read_failed(cb, -EMSGSIZE);
	genlmsg_end(skb, hdr);
	st->first_sent = true;
	return skb->len;
}

static int kmd_mem_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmd_mem_dump *st = kmd_mem_state(cb);
	unsigned int pieces = 0;
	int room, err;

	err = kmd_nl_dump_refused(cb);
	if (err)
		return err;
	if (!st->first_sent)
		return kmd_mem_first_step(skb, cb, st);
	for (;;) {
		if (st->pending) {
			if (kmd_mem_put_piece(skb, cb, st))
				return skb->len ? skb->len : kmd_mem_read_failed(cb, -EMSGSIZE);
			st->pending = false;
		}
		if (st->idx >= st->nr || pieces++ >= KMD_PIECES_PER_CALL)
			break;
		room = min_t(int, skb_tailroom(skb) - KMD_DATA_OVERHEAD, KMDUMP_DATA_CHUNK_MAX);
		if (!st->out && room < 256) {
			if (!skb->len)
				return kmd_mem_read_failed(cb, -EMSGSIZE);
			break;
		}
		err = kmd_mem_read_piece(st, room);
		if (err)
			return kmd_mem_read_failed(cb, err);
	}
	return skb->len;
}

/* mem-read-to-fd and mem-read share one walk (the start hook set the destination). */
int kmdump_nl_mem_read_to_fd_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kmd_mem_dump(skb, cb);
}

int kmdump_nl_mem_read_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kmd_mem_dump(skb, cb);
}
