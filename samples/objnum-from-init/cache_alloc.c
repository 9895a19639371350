/*
 * Lab 5 - Exercise 5: cache_alloc
 * Uses a slab cache (kmem_cache_create) for our struct and allocates /
 * frees objnum objects from it one at a time.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Team 7");
MODULE_DESCRIPTION("slab allocation");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of objects to allocate (default 2000)");

struct my_struct {
	unsigned int arr[8];
};

static struct kmem_cache *my_cache;
static struct task_struct *worker;
static DECLARE_COMPLETION(worker_done);

static int worker_fn(void *unused)
{
	struct my_struct *p;
	unsigned int i;
	ktime_t t0, t1;

	printk(KERN_INFO "cache_alloc: struct size: %zu bytes\n",
	       sizeof(struct my_struct));

	t0 = ktime_get();
	for (i = 0; i < objnum; i++) {
		p = kmem_cache_alloc(my_cache, GFP_KERNEL);
		if (!p) {
			printk(KERN_ERR "cache_alloc: kmem_cache_alloc failed at %u\n", i);
			break;
		}
		kmem_cache_free(my_cache, p);
	}
	t1 = ktime_get();

	printk(KERN_INFO "cache_alloc: elapsed: %lld ns\n",
	       ktime_to_ns(ktime_sub(t1, t0)));

	kthread_complete_and_exit(&worker_done, 0);
}

static int __init ca_init(void)
{
	printk(KERN_INFO "cache_alloc: loading, number of objects: %u\n", objnum);
	my_cache = kmem_cache_create("lab5_cache", sizeof(struct my_struct),
				     0, 0, NULL);
	if (!my_cache) {
		printk(KERN_ERR "cache_alloc: kmem_cache_create failed\n");
		return -ENOMEM;
	}

	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "cache_alloc/%u");
	if (IS_ERR(worker)) {
		printk(KERN_ERR "cache_alloc: could not create thread\n");
		kmem_cache_destroy(my_cache);
		return PTR_ERR(worker);
	}
	wake_up_process(worker);
	return 0;
}

static void __exit ca_exit(void)
{
	/* the thread has to be done with the cache before we destroy it */
	wait_for_completion(&worker_done);
	kmem_cache_destroy(my_cache);
	printk(KERN_INFO "cache_alloc: unloaded\n");
}

module_init(ca_init);
module_exit(ca_exit);
