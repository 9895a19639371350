#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

/* Lab 5 part 5: slab cache timing */

static unsigned int objnum = 2000;
module_param(objnum, uint, S_IRUGO);

struct obj {
	unsigned int a[8];
};

static struct kmem_cache *obj_cache;
static struct task_struct *kt;

static int run(void *arg)
{
	struct obj *o;
	unsigned int n;
	u64 t_start, t_end;

	printk(KERN_INFO "[cache_alloc] objnum=%u\n", objnum);
	printk(KERN_INFO "[cache_alloc] sizeof(struct obj)=%zu\n", sizeof(struct obj));

	t_start = ktime_get_ns();
	for (n = 0; n < objnum; n++) {
		o = kmem_cache_alloc(obj_cache, GFP_KERNEL);
		if (!o)
			break;
		kmem_cache_free(obj_cache, o);
	}
	t_end = ktime_get_ns();

	if (n < objnum)
		printk(KERN_ERR "[cache_alloc] kmem_cache_alloc failed at %u\n", n);
	printk(KERN_INFO "[cache_alloc] %u objects: %llu ns\n", n, t_end - t_start);

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

static int __init start(void)
{
	obj_cache = kmem_cache_create("lab5_cache", sizeof(struct obj), 0, 0, NULL);
	if (!obj_cache)
		return -ENOMEM;

	kt = kthread_run(run, NULL, "cache_alloc");
	if (IS_ERR(kt)) {
		kmem_cache_destroy(obj_cache);
		return PTR_ERR(kt);
	}
	return 0;
}

static void __exit stop(void)
{
	kthread_stop(kt);
	kmem_cache_destroy(obj_cache);
}

module_init(start);
module_exit(stop);
MODULE_LICENSE("GPL");
