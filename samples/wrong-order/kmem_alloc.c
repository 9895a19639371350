// kmem_alloc.c  -- lab 5
// same thread as page_alloc, but kmalloc/kfree one struct at a time

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

static int thread_func(void *arg)
{
	struct data_t *d;
	unsigned int i;
	u64 before, after;

	pr_info("objnum is %u\n", objnum);
	pr_info("size of struct: %zu\n", sizeof(struct data_t));

	before = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		d = kmalloc(sizeof(struct data_t), GFP_KERNEL);
		if (d == NULL) {
			pr_err("kmalloc failed\n");
			break;
		}
		kfree(d);
	}
	after = ktime_get_ns();
	pr_info("Time taken: %llu ns\n", after - before);

	while (!kthread_should_stop())
		msleep(100);
	return 0;
}

static int __init mod_init(void)
{
	thread = kthread_create(thread_func, NULL, "kmem_alloc_thread");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	kthread_bind(thread, 0);
	wake_up_process(thread);
	return 0;
}

static void __exit mod_exit(void)
{
	kthread_stop(thread);
	pr_info("kmem_alloc unloaded\n");
}

module_init(mod_init);
module_exit(mod_exit);
