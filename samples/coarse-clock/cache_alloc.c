// SPDX-License-Identifier: GPL-2.0
/* Lab 5: cache_alloc - measure objnum slab alloc/free pairs from a pinned kthread */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct elem {
	unsigned int n[8];
};

static struct kmem_cache *elem_cache;
static struct task_struct *worker;

static int worker_fn(void *arg)
{
	unsigned long start;
	struct elem *e;
	unsigned int i;

	pr_info("cache_alloc: objnum = %u\n", objnum);
	pr_info("cache_alloc: struct is %zu bytes\n", sizeof(struct elem));

	start = jiffies;
	for (i = 0; i < objnum; i++) {
		e = kmem_cache_alloc(elem_cache, GFP_KERNEL);
		if (!e)
			break;
		kmem_cache_free(elem_cache, e);
	}
	pr_info("cache_alloc: %u objects took %u us\n", i,
		jiffies_to_usecs(jiffies - start));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule();
	}
	return 0;
}

static int __init cache_alloc_load(void)
{
	elem_cache = kmem_cache_create("lab5_cache", sizeof(struct elem), 0, 0, NULL);
	if (!elem_cache)
		return -ENOMEM;

	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "cache_alloc/%u");
	if (IS_ERR(worker)) {
		kmem_cache_destroy(elem_cache);
		return PTR_ERR(worker);
	}
	wake_up_process(worker);
	return 0;
}

static void __exit cache_alloc_unload(void)
{
	kthread_stop(worker);
	kmem_cache_destroy(elem_cache);
}

module_init(cache_alloc_load);
module_exit(cache_alloc_unload);
MODULE_LICENSE("GPL");
