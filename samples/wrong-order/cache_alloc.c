// cache_alloc.c  -- lab 5
// slab cache version: kmem_cache_alloc/kmem_cache_free one struct at a time

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

MODULE_LICENSE("GPL");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct data_t {
	unsigned int values[8];
};

static struct task_struct *thread;
static struct kmem_cache *cache;

static int thread_func(void *arg)
{
	struct data_t *d;
	unsigned int i;
	u64 before, after;

	pr_info("objnum is %u\n", objnum);
	pr_info("size of struct: %zu\n", sizeof(struct data_t));

	before = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		d = kmem_cache_alloc(cache, GFP_KERNEL);
		if (d == NULL) {
			pr_err("kmem_cache_alloc failed\n");
			break;
		}
		kmem_cache_free(cache, d);
	}
	after = ktime_get_ns();
	pr_info("Time taken: %llu ns\n", after - before);

	while (!kthread_should_stop())
		msleep(100);
	return 0;
}

static int __init mod_init(void)
{
	cache = kmem_cache_create("lab5_cache", sizeof(struct data_t), 0, 0, NULL);
	if (cache == NULL)
		return -ENOMEM;

	thread = kthread_create(thread_func, NULL, "cache_alloc_thread");
	if (IS_ERR(thread)) {
		kmem_cache_destroy(cache);
		return PTR_ERR(thread);
	}
	kthread_bind(thread, 0);
	wake_up_process(thread);
	return 0;
}

static void __exit mod_exit(void)
{
	kthread_stop(thread);
	kmem_cache_destroy(cache);
	pr_info("cache_alloc unloaded\n");
}

module_init(mod_init);
module_exit(mod_exit);
