/* Lab 5, exercises 1-3, on the course template: the thread runs until rmmod stops it. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");

static uint objnum = 2000;
module_param(objnum, uint, 0644);

struct item {
	int v[8];
};

static struct task_struct *thr;
static struct page *held;
static unsigned int held_order;

static int body(void *data)
{
	u64 before, after;
	unsigned long need;

	printk(KERN_INFO "objnum is %u\n", objnum);
	printk(KERN_INFO "struct item is %lu bytes\n", (unsigned long)sizeof(struct item));
	need = (objnum * sizeof(struct item) + PAGE_SIZE - 1) / PAGE_SIZE;
	held_order = need > 1 ? ilog2(need - 1) + 1 : 0;
	before = ktime_get_ns();
	held = alloc_pages(GFP_KERNEL, held_order);
	after = ktime_get_ns();
	printk(KERN_INFO "alloc_pages order %u: %llu ns\n", held_order, after - before);

	while (!kthread_should_stop())
		schedule();
	return 0;
}

static int __init spin_init(void)
{
	thr = kthread_create(body, NULL, "pa_spin");
	if (IS_ERR(thr))
		return PTR_ERR(thr);
	kthread_bind(thr, 0);
	wake_up_process(thr);
	return 0;
}

static void __exit spin_exit(void)
{
	kthread_stop(thr);
	if (held)
		__free_pages(held, held_order);
}

module_init(spin_init);
module_exit(spin_exit);
