/*
 * CSE lab 5 - cache_alloc.c
 * Module with a slab cache and one kernel thread (bound to cpu 0) that times
 * objnum kmem_cache_alloc()/kmem_cache_free() pairs.
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

static struct kmem_cache *data_cache;
static struct task_struct *cache_thread;

static int cache_thread_fn(void *data)
{
	struct my_data *item;
	unsigned int i;
	ktime_t before, after;

	printk(KERN_INFO "cache_alloc: objnum: %u\n", objnum);
	printk(KERN_INFO "cache_alloc: sizeof struct = %zu\n", sizeof(struct my_data));

	before = ktime_get();
	for (i = 0; i < objnum; i++) {
		item = kmem_cache_alloc(data_cache, GFP_KERNEL);
		if (!item)
			break;
		kmem_cache_free(data_cache, item);
	}
	after = ktime_get();

	printk(KERN_INFO "cache_alloc: time: %lld ns\n", ktime_to_ns(after) - ktime_to_ns(before));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init cache_module_init(void)
{
	data_cache = kmem_cache_create("lab5_cache", sizeof(struct my_data), 0, 0, NULL);
	if (!data_cache)
		return -ENOMEM;

	cache_thread = kthread_create(cache_thread_fn, NULL, "cache_thread");
	if (IS_ERR(cache_thread)) {
		kmem_cache_destroy(data_cache);
		return PTR_ERR(cache_thread);
	}
	kthread_bind(cache_thread, THREAD_CPU);
	wake_up_process(cache_thread);
	return 0;
}

static void __exit cache_module_exit(void)
{
	kthread_stop(cache_thread);
	kmem_cache_destroy(data_cache);
}

module_init(cache_module_init);
module_exit(cache_module_exit);
MODULE_LICENSE("GPL");
