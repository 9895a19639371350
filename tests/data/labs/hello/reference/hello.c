// SPDX-License-Identifier: GPL-2.0
/*
 * hello.c - the reference of the example lab in kmgrade's README ("Writing a lab").
 *
 * Starts one kernel thread that prints count and sleeps until module exit stops it.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

static unsigned int count = 3;
module_param(count, uint, 0444);

static struct task_struct *task;

static int hello_thread(void *data)
{
	pr_info("hello: count = %u\n", count);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init hello_init(void)
{
	task = kthread_run(hello_thread, NULL, "hello_thread");
	return PTR_ERR_OR_ZERO(task);
}

static void __exit hello_exit(void)
{
	kthread_stop(task);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Prints its parameter from a kernel thread");
