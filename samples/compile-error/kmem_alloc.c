/*
 * CSE lab 5 - kmem_alloc.c
 * Module with one kernel thread (bound to cpu 0) that times objnum
 * kmalloc()/kfree() pairs.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

#define THREAD_CPU 0

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct my_data {
	unsigned int buf[8];
};

static struct task_struct *kmem_thread;

static int kmem_thread_fn(void *data)
{
	struct my_data *item;
	unsigned int i;
	ktime_t before, after;

	printk(KERN_INFO "kmem_alloc: objnum: %u\n", objnum);
	printk(KERN_INFO "kmem_alloc: sizeof struct = %zu\n", sizeof(struct my_data));

	before = ktime_get();
	for (i = 0; i < objnum; i++) {
		item = kmalloc(sizeof(struct my_data), GFP_KERNEL);
		if (!item)
			break;
		kfree(item)
	}
	after = ktime_get();

	printk(KERN_INFO "kmem_alloc: time: %lld ns\n", ktime_to_ns(after) - ktime_to_ns(before));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init kmem_module_init(void)
{
	kmem_thread = kthread_create(kmem_thread_fn, NULL, "kmem_thread");
	if (IS_ERR(kmem_thread))
		return PTR_ERR(kmem_thread);
	kthread_bind(kmem_thread, THREAD_CPU);
	wake_up_process(kmem_thread);
	return 0;
}

static void __exit kmem_module_exit(void)
{
	kthread_stop(kmem_thread);
}

module_init(kmem_module_init);
module_exit(kmem_module_exit);
MODULE_LICENSE("GPL");
