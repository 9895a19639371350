// Lab 5, exercises 1 to 3 (K. Booth)
// A thread on CPU 0 asks the page allocator for room for objnum items at
// once and hands it back, and says how long that took.

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/ktime.h>

static uint objnum = 2000;
module_param(objnum, uint, 0400);

struct booth_item {
	unsigned int v[8];
};

static DECLARE_WAIT_QUEUE_HEAD(idle_q);
static struct task_struct *th;

static int measure(void *ignored)
{
	int ord;
	struct page *first;
	ktime_t began;
	s64 spent;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	printk(KERN_INFO "booth page_alloc: objnum=%u\n", objnum);
	printk(KERN_INFO "booth page_alloc: sizeof item=%d bytes\n", (int)sizeof(struct booth_item));

	ord = get_order((size_t)objnum * sizeof(struct booth_item));
	began = ktime_get();
	first = alloc_pages(GFP_KERNEL, ord);
	if (first)
		__free_pages(first, ord);
	spent = ktime_to_ns(ktime_sub(ktime_get(), began));
	if (first)
		printk(KERN_INFO "booth page_alloc: order=%d took %lld ns\n", ord, spent);
	else
		printk(KERN_ERR "booth page_alloc: order=%d: out of memory\n", ord);

	wait_event_interruptible(idle_q, kthread_should_stop());
	return 0;
}

static int __init booth_init(void)
{
	th = kthread_run(measure, NULL, "booth_pages");
	return IS_ERR(th) ? PTR_ERR(th) : 0;
}

static void __exit booth_exit(void)
{
	kthread_stop(th);
}

module_init(booth_init);
module_exit(booth_exit);
MODULE_LICENSE("Dual BSD/GPL");
