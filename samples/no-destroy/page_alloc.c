/* page_alloc.c: lab 5 exercise 3
 * one pinned kernel thread, allocates 2^order pages for objnum structs
 * and frees them, and prints the time it took.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/timekeeping.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of structs");

struct block {
	unsigned int v[8];
};

static struct task_struct *tsk;

static int thread_main(void *unused)
{
	unsigned long per_page = PAGE_SIZE / sizeof(struct block);
	unsigned long npages = DIV_ROUND_UP(objnum, per_page);
	unsigned int order = npages > 1 ? ilog2(roundup_pow_of_two(npages)) : 0;
	struct page *pg;
	u64 begin, elapsed;

	pr_info("page_alloc: objnum set to %u\n", objnum);
	pr_info("page_alloc: struct block takes %zu bytes\n", sizeof(struct block));

	begin = ktime_get_ns();
	pg = alloc_pages(GFP_KERNEL, order);
	if (pg)
		__free_pages(pg, order);
	elapsed = ktime_get_ns() - begin;

	if (!pg)
		pr_warn("page_alloc: alloc_pages(order=%u) returned NULL\n", order);
	pr_info("page_alloc: alloc+free at order %u took %llu ns\n", order, elapsed);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init page_alloc_start(void)
{
	tsk = kthread_create(thread_main, NULL, "page_alloc_kt");
	if (IS_ERR(tsk))
		return PTR_ERR(tsk);
	kthread_bind(tsk, cpumask_first(cpu_online_mask));
	wake_up_process(tsk);
	return 0;
}

static void __exit page_alloc_end(void)
{
	kthread_stop(tsk);
}

module_init(page_alloc_start);
module_exit(page_alloc_end);
MODULE_LICENSE("GPL");
