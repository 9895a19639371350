// SPDX-License-Identifier: GPL-2.0
/*
 * kmem_alloc.c - Lab 5, Exercise 4 (reference solution, Linux 6.1).
 *
 * Starts one kernel thread bound to CPU 0. The thread logs objnum and the
 * size of struct item, then times objnum rounds of kmalloc() of one struct
 * followed at once by kfree(), logs the elapsed time and sleeps until module
 * exit stops it.
 */
#define pr_fmt(fmt) "kmem_alloc: " fmt

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

static int kmem_alloc_thread(void *data)
{
	struct item *obj;
	unsigned int i;
	u64 start, end;

	pr_info("objnum = %u\n", objnum);
	pr_info("sizeof(struct item) = %zu bytes\n", sizeof(struct item));

	start = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		obj = kmalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			break;
		kfree(obj);
	}
	end = ktime_get_ns();

	if (i == objnum)
		pr_info("%u kmalloc/kfree pairs took %llu ns\n", i, end - start);
	else
		pr_err("kmalloc failed after %u objects\n", i);

	wait_for_stop();
	return 0;
}

static int __init kmem_alloc_init(void)
{
	task = kthread_create(kmem_alloc_thread, NULL, "kmem_alloc");
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, 0);
	wake_up_process(task);
	return 0;
}

static void __exit kmem_alloc_exit(void)
{
	kthread_stop(task);
}

module_init(kmem_alloc_init);
module_exit(kmem_alloc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5: time objnum kmalloc/kfree pairs");
