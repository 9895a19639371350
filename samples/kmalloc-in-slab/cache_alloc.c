#include <linux/init.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

/*
 * Lab 5, exercise 5.
 * Creates a slab cache for struct lab_obj in init and destroys it in exit.
 * A kernel thread bound to CPU 0 allocates and frees objnum objects one at
 * a time and logs the time taken.
 */

MODULE_LICENSE("GPL");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of objects");

struct lab_obj {
	unsigned int ints[8];
};

static struct kmem_cache *obj_cache;
static struct task_struct *thr;

static int do_work(void *arg)
{
	struct lab_obj *o;
	unsigned int i;
	u64 start, stop;

	pr_info("cache_alloc: Allocating %u objects\n", objnum);
	pr_info("cache_alloc: One object is %zu bytes\n", sizeof(struct lab_obj));

	start = ktime_get_raw_ns();
	for (i = 0; i < objnum; i++) {
		o = kmalloc(sizeof(*o), GFP_KERNEL);
		if (!o) {
			pr_err("cache_alloc: allocation failed\n");
			break;
		}
		kfree(o);
	}
	stop = ktime_get_raw_ns();

	pr_info("cache_alloc: %u slab alloc/free took %llu ns\n", i, stop - start);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init lab_init(void)
{
	obj_cache = kmem_cache_create("lab5_cache", sizeof(struct lab_obj),
				      0, 0, NULL);
	if (!obj_cache)
		return -ENOMEM;

	thr = kthread_create(do_work, NULL, "lab_cache_alloc");
	if (IS_ERR(thr)) {
		kmem_cache_destroy(obj_cache);
		return PTR_ERR(thr);
	}
	kthread_bind(thr, 0);
	wake_up_process(thr);
	return 0;
}

static void __exit lab_exit(void)
{
	kthread_stop(thr);
	kmem_cache_destroy(obj_cache);
}

module_init(lab_init);
module_exit(lab_exit);
