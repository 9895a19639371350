/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LIST_ITEM_H
#define LIST_ITEM_H

#include <linux/list.h>

/* One name of the list, in its own allocation so that names of any length fit. */
struct item {
	struct list_head link;
	char *name;
};

#endif
