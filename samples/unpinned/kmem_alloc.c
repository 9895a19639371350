#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

/* Lab 5 part 4: kmalloc timing */

static unsigned int objnum = 2000;
module_param(objnum, uint, S_IRUGO);

struct obj {
	unsigned int a[8];
};

static struct task_struct *kt;

static int run(void *arg)
{
	struct obj *o;
	unsigned int n;
	u64 t_start, t_end;

	printk(KERN_INFO "[kmem_alloc] objnum=%u\n", objnum);
	printk(KERN_INFO "[kmem_alloc] sizeof(struct obj)=%zu\n", sizeof(struct obj));

	t_start = ktime_get_ns();
	for (n = 0; n < objnum; n++) {
		o = kmalloc(sizeof(*o), GFP_KERNEL);
		if (!o)
			break;
		kfree(o);
	}
	t_end = ktime_get_ns();

	if (n < objnum)
		printk(KERN_ERR "[kmem_alloc] kmalloc failed at %u\n", n);
	printk(KERN_INFO "[kmem_alloc] %u objects: %llu ns\n", n, t_end - t_start);

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
	kt = kthread_run(run, NULL, "kmem_alloc");
	if (IS_ERR(kt))
		return PTR_ERR(kt);
	return 0;
}

static void __exit stop(void)
{
	kthread_stop(kt);
}

module_init(start);
module_exit(stop);
MODULE_LICENSE("GPL");
