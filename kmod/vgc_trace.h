/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VGC tracepoints: events/vgc/ in tracefs.  docs/tracing.md describes every
 * event and field.  Numbers only: no string fields, so the header builds
 * unchanged on kernels whose __assign_str() differs (6.1 and 6.12).
 *
 * Call sites hold arena->lock except vgc_arena_create (the arena is not
 * published yet), vgc_arena_destroy (the last reference is gone) and
 * vgc_sweep (a per-CPU worker of a checkpoint that holds the lock).
 *
 * Out of tree: define_trace.h includes TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE
 * as "./vgc_trace.h", found through the -I of kmod/ in Kbuild.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vgc

#if !defined(_VGC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VGC_TRACE_H

#include <linux/tracepoint.h>
#include <linux/pid.h>
#include <linux/topology.h>
#include "vgc_internal.h"

#ifndef _VGC_TRACE_HELPERS
#define _VGC_TRACE_HELPERS
/* Why a thread left the quorum without unregistering. */
enum vgc_trace_drop {
	VGC_TRACE_DROP_EXITED,		/* its task exited */
	VGC_TRACE_DROP_CLOSED,		/* the arena's file was released */
};

/* Node of partition 0's first committed region, else of its CPU. */
static inline int vgc_trace_node0(const struct vgc_arena *arena)
{
	unsigned int z;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct vgc_region *r =
			&arena->regions[z * arena->nr_partitions];

		if (r->committed_granules && r->node >= 0)
			return r->node;
	}
	return cpu_to_node(arena->params.cpus[0]);
}

/* Nodes (0..63) backing the committed regions, one bit each. */
static inline u64 vgc_trace_nodes(const struct vgc_arena *arena)
{
	unsigned int i;
	u64 mask = 0;

	for (i = 0; i < arena->nr_regions; i++) {
		s32 node = arena->regions[i].node;

		if (arena->regions[i].committed_granules && node >= 0 &&
		    node < 64)
			mask |= BIT_ULL(node);
	}
	return mask;
}

/* Global tid of a registered slot (what common_pid shows), else 0. */
static inline u32 vgc_trace_tid(const struct vgc_arena *arena, u32 slot)
{
	if (slot >= VGC_MAX_THREADS || !arena->threads[slot].pid)
		return 0;
	return pid_nr(arena->threads[slot].pid);
}
#endif /* _VGC_TRACE_HELPERS */

/* Tools that parse the print format see the values, not the names. */
TRACE_DEFINE_ENUM(VGC_TRACE_DROP_EXITED);
TRACE_DEFINE_ENUM(VGC_TRACE_DROP_CLOSED);

TRACE_EVENT(vgc_arena_create,
	    TP_PROTO(const struct vgc_arena *arena),
	    TP_ARGS(arena),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, map_size)
			     __field(u64, committed)
			     __field(u64, metadata)
			     __field(u64, nodes)
			     __field(pid_t, pid)
			     __field(u32, nr_partitions)
			     __field(int, node)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->map_size = arena->layout.map_size;
			   __entry->committed = arena->committed_bytes;
			   __entry->metadata = arena->metadata_bytes;
			   __entry->nodes = vgc_trace_nodes(arena);
			   __entry->pid = current->tgid;
			   __entry->nr_partitions = arena->nr_partitions;
			   __entry->node = vgc_trace_node0(arena);),
	    TP_printk("id=%llu pid=%d nr_partitions=%u map_size=%llu committed=%llu metadata=%llu node=%d nodes=0x%llx",
		      __entry->id, __entry->pid, __entry->nr_partitions,
		      __entry->map_size, __entry->committed, __entry->metadata,
		      __entry->node, __entry->nodes));

TRACE_EVENT(vgc_arena_destroy,
	    TP_PROTO(const struct vgc_arena *arena),
	    TP_ARGS(arena),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, committed)
			     __field(u64, checkpoints)
			     __field(u64, reclaimed)
			     __field(u64, reclaimed_bytes)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->committed = arena->committed_bytes;
			   __entry->checkpoints = arena->checkpoints;
			   __entry->reclaimed = arena->reclaimed_objects;
			   __entry->reclaimed_bytes = arena->reclaimed_bytes;),
	    TP_printk("id=%llu committed=%llu checkpoints=%llu reclaimed=%llu reclaimed_bytes=%llu",
		      __entry->id, __entry->committed, __entry->checkpoints,
		      __entry->reclaimed, __entry->reclaimed_bytes));

/* Granules committed to (grow) or returned from (decommit) a region. */
DECLARE_EVENT_CLASS(vgc_commit_class,
		    TP_PROTO(const struct vgc_arena *arena, const struct vgc_region *r,
			     u64 granules),
		    TP_ARGS(arena, r, granules),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(u64, granules)
				     __field(u64, region_committed)
				     __field(u64, committed)
				     __field(u32, zone)
				     __field(u32, partition)
				     __field(int, node)),
		    TP_fast_assign(__entry->id = arena->id;
				   __entry->granules = granules;
				   __entry->region_committed = r->committed_granules;
				   __entry->committed = arena->committed_bytes;
				   __entry->zone = r->zone;
				   __entry->partition = r->partition;
				   __entry->node = r->node;),
		    TP_printk("id=%llu zone=%u partition=%u granules=%llu region_committed=%llu committed=%llu node=%d",
			      __entry->id, __entry->zone, __entry->partition,
			      __entry->granules, __entry->region_committed,
			      __entry->committed, __entry->node));

DEFINE_EVENT(vgc_commit_class, vgc_grow,
	     TP_PROTO(const struct vgc_arena *arena, const struct vgc_region *r,
		      u64 granules),
	     TP_ARGS(arena, r, granules));

/* VGC_IOC_DECOMMIT: granules of the spans whose pages were freed. */
DEFINE_EVENT(vgc_commit_class, vgc_decommit,
	     TP_PROTO(const struct vgc_arena *arena, const struct vgc_region *r,
		      u64 granules),
	     TP_ARGS(arena, r, granules));

/* VGC_IOC_COMMIT: granules of decommitted spans given pages again. */
DEFINE_EVENT(vgc_commit_class, vgc_commit,
	     TP_PROTO(const struct vgc_arena *arena, const struct vgc_region *r,
		      u64 granules),
	     TP_ARGS(arena, r, granules));

/* gp_seq: the grace period the checkpoint waits for. */
TRACE_EVENT(vgc_checkpoint_begin,
	    TP_PROTO(const struct vgc_arena *arena, const struct vgc_checkpoint *ck,
		     u64 mask, u32 zones, u32 gens),
	    TP_ARGS(arena, ck, mask, zones, gens),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, gp_seq)
			     __field(u64, mask)
			     __field(u32, flags)
			     __field(u32, zones)
			     __field(u32, gens)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->gp_seq = arena->gp_seq;
			   __entry->mask = mask;
			   __entry->flags = ck->flags;
			   __entry->zones = zones;
			   __entry->gens = gens;),
	    TP_printk("id=%llu gp_seq=%llu mask=0x%llx flags=0x%x zones=0x%x gens=0x%x",
		      __entry->id, __entry->gp_seq, __entry->mask,
		      __entry->flags, __entry->zones, __entry->gens));

/* gp_seq: the arena's after the checkpoint (begin's + 1 on success). */
TRACE_EVENT(vgc_checkpoint_end,
	    TP_PROTO(const struct vgc_arena *arena, const struct vgc_checkpoint *ck,
		     long result, u64 ns),
	    TP_ARGS(arena, ck, result, ns),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, gp_seq)
			     __field(u64, reclaimed)
			     __field(u64, reclaimed_bytes)
			     __field(u64, live)
			     __field(u64, words)
			     __field(u64, sweep_ns)
			     __field(u64, ns)
			     __field(int, result)
			     __field(u32, blocker_slot)
			     __field(u32, blocker_tid)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->gp_seq = arena->gp_seq;
			   __entry->reclaimed = ck->counts.reclaimed;
			   __entry->reclaimed_bytes = ck->counts.reclaimed_bytes;
			   __entry->live = ck->counts.live;
			   __entry->words = ck->counts.words;
			   __entry->sweep_ns = ck->sweep_ns;
			   __entry->ns = ns;
			   __entry->result = result;
			   __entry->blocker_slot = result == -EAGAIN ? ck->blocker_slot : 0;
			   __entry->blocker_tid = result == -EAGAIN ?
				vgc_trace_tid(arena, ck->blocker_slot) : 0;),
	    TP_printk("id=%llu gp_seq=%llu result=%d reclaimed=%llu reclaimed_bytes=%llu live=%llu words=%llu sweep_ns=%llu ns=%llu blocker_slot=%u blocker_tid=%u",
		      __entry->id, __entry->gp_seq, __entry->result,
		      __entry->reclaimed, __entry->reclaimed_bytes, __entry->live,
		      __entry->words, __entry->sweep_ns, __entry->ns,
		      __entry->blocker_slot, __entry->blocker_tid));

/*
 * One partition's sweep, on the CPU it ran on (home: the partition's).
 * gp_seq: its checkpoint's, as that one's vgc_checkpoint_end will carry it,
 * so that a reader pairs them without trusting the order of two CPUs' clocks.
 */
TRACE_EVENT(vgc_sweep,
	    TP_PROTO(const struct vgc_arena *arena, u32 partition,
		     const struct vgc_sweep_counts *c, u64 ns),
	    TP_ARGS(arena, partition, c, ns),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, gp_seq)
			     __field(u64, words)
			     __field(u64, reclaimed)
			     __field(u64, ns)
			     __field(u32, partition)
			     __field(u32, cpu)
			     __field(u32, home)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->gp_seq = arena->gp_seq;
			   __entry->words = c->words;
			   __entry->reclaimed = c->reclaimed;
			   __entry->ns = ns;
			   __entry->partition = partition;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->home = arena->params.cpus[partition];),
	    TP_printk("id=%llu gp_seq=%llu partition=%u cpu=%u home=%u words=%llu reclaimed=%llu ns=%llu",
		      __entry->id, __entry->gp_seq, __entry->partition, __entry->cpu,
		      __entry->home, __entry->words, __entry->reclaimed,
		      __entry->ns));

/* A slot of the quorum, read before it is cleared. */
DECLARE_EVENT_CLASS(vgc_thread_class,
		    TP_PROTO(const struct vgc_arena *arena, u32 slot),
		    TP_ARGS(arena, slot),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(u32, slot)
				     __field(u32, tid)
				     __field(u32, partition)),
		    TP_fast_assign(__entry->id = arena->id;
				   __entry->slot = slot;
				   __entry->tid = vgc_trace_tid(arena, slot);
				   __entry->partition = arena->threads[slot].partition;),
		    TP_printk("id=%llu slot=%u tid=%u partition=%u",
			      __entry->id, __entry->slot, __entry->tid,
			      __entry->partition));

DEFINE_EVENT(vgc_thread_class, vgc_thread_register,
	     TP_PROTO(const struct vgc_arena *arena, u32 slot),
	     TP_ARGS(arena, slot));

DEFINE_EVENT(vgc_thread_class, vgc_thread_unregister,
	     TP_PROTO(const struct vgc_arena *arena, u32 slot),
	     TP_ARGS(arena, slot));

TRACE_EVENT(vgc_thread_drop,
	    TP_PROTO(const struct vgc_arena *arena, u32 slot, int reason),
	    TP_ARGS(arena, slot, reason),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, slot)
			     __field(u32, tid)
			     __field(u32, partition)
			     __field(int, reason)),
	    TP_fast_assign(__entry->id = arena->id;
			   __entry->slot = slot;
			   __entry->tid = vgc_trace_tid(arena, slot);
			   __entry->partition = arena->threads[slot].partition;
			   __entry->reason = reason;),
	    TP_printk("id=%llu slot=%u tid=%u partition=%u reason=%s",
		      __entry->id, __entry->slot, __entry->tid,
		      __entry->partition,
		      __print_symbolic(__entry->reason,
				       { VGC_TRACE_DROP_EXITED, "exited" },
				       { VGC_TRACE_DROP_CLOSED, "closed" })));

#endif /* _VGC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vgc_trace
#include <trace/define_trace.h>
