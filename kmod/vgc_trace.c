// SPDX-License-Identifier: GPL-2.0
/*
 * VGC tracepoints: the one translation unit that instantiates the events of
 * vgc_trace.h.  Every other file includes the header without
 * CREATE_TRACE_POINTS and calls trace_vgc_*().
 */
#define CREATE_TRACE_POINTS
#include "vgc_trace.h"
