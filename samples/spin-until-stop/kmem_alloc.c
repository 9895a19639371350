/* Lab 5, exercise 4, on the course template: the thread runs until rmmod stops it. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");

static uint objnum = 2000;
module_param(objnum, uint, 0644);

struct item {
	int v[8];
};

static struct task_struct *thr;

static int body(void *data)
{
	struct item *it;
	u64 before, after;
	uint k;

	printk(KERN_INFO "objnum is %u\n", objnum);
	printk(KERN_INFO "struct item is %lu bytes\n", (unsigned long)sizeof(struct item));
	before = ktime_get_ns();
	for (k = 0; k < objnum; k++) {
		it = kmalloc(sizeof(struct item), GFP_KERNEL);
		kfree(it);
	}
	after = ktime_get_ns();
	printk(KERN_INFO "%u kmalloc/kfree: %llu ns\n", objnum, after - before);

	while (!kthread_should_stop())
		schedule();
	return 0;
}

static int __init spin_init(void)
{
	thr = kthread_create(body, NULL, "km_spin");
	if (IS_ERR(thr))
		return PTR_ERR(thr);
	kthread_bind(thr, 0);
	wake_up_process(thr);
	return 0;
}

static void __exit spin_exit(void)
{
	kthread_stop(thr);
}

module_init(spin_init);
module_exit(spin_exit);
