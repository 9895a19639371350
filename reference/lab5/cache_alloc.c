// SPDX-License-Identifier: GPL-2.0
/*
 * cache_alloc.c - Lab 5, Exercise 5 (reference solution, Linux 6.1).
 *
 * Module init creates a slab cache "lab5_cache" for struct item and starts
 * one kernel thread bound to CPU 0. The thread logs objnum and the size of
 * struct item, then times objnum rounds of kmem_cache_alloc() followed at
 * once by kmem_cache_free(), logs the elapsed time and sleeps until module
 * exit stops it. Module exit stops the thread, then destroys the cache.
 */
#define pr_fmt(fmt) "cache_alloc: " fmt

#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct item {
	unsigned int data[8];
};

static struct kmem_cache *item_cache;
static struct task_struct *task;

static void wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int cache_alloc_thread(void *data)
{
	struct item *obj;
	unsigned int i;
	u64 start, end;

	pr_info("objnum = %u\n", objnum);
	pr_info("sizeof(struct item) = %zu bytes\n", sizeof(struct item));

	start = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		obj = kmem_cache_alloc(item_cache, GFP_KERNEL);
		if (!obj)
			break;
		kmem_cache_free(item_cache, obj);
	}
	end = ktime_get_ns();

	if (i == objnum)
		pr_info("%u kmem_cache_alloc/kmem_cache_free pairs took %llu ns\n",
			i, end - start);
	else
		pr_err("kmem_cache_alloc failed after %u objects\n", i);

	wait_for_stop();
	return 0;
}

static int __init cache_alloc_init(void)
{
	item_cache = kmem_cache_create("lab5_cache", sizeof(struct item),
				       0, 0, NULL);
	if (!item_cache)
		return -ENOMEM;

	task = kthread_create(cache_alloc_thread, NULL, "cache_alloc");
	if (IS_ERR(task)) {
		kmem_cache_destroy(item_cache);
		return PTR_ERR(task);
	}
	kthread_bind(task, 0);
	wake_up_process(task);
	return 0;
}

static void __exit cache_alloc_exit(void)
{
	kthread_stop(task);
	kmem_cache_destroy(item_cache);
}

module_init(cache_alloc_init);
module_exit(cache_alloc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5: time objnum kmem_cache_alloc/kmem_cache_free pairs");
