/* lab5 ex4 - kmem_alloc */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

static int objnum = 2000;
module_param(objnum, int, 0444);

struct obj32 {
	char bytes[32];
};

static struct task_struct *worker_task;

static void show_params(void)
{
	printk(KERN_INFO "lab5_kmem: objnum=%d\n", objnum);
	printk(KERN_INFO "lab5_kmem: one object is %zu bytes\n", sizeof(struct obj32));
}

static int alloc_and_free(void)
{
	struct obj32 *tmpz;
	int qq, misses = 0;

	for (qq = 0; qq < objnum; qq++) {
		tmpz = kmalloc(sizeof(*tmpz), GFP_KERNEL);
		if (tmpz == NULL) {
			misses++;
			continue;
		}
		tmpz->bytes[0] = (char)qq;
		kfree(tmpz);
	}
	return misses;
}

static void report(int misses, s64 dlt)
{
	if (misses)
		printk(KERN_WARNING "lab5_kmem: %d allocations failed\n", misses);
	printk(KERN_INFO "lab5_kmem: %d objects alocated and freed in %lld ns\n", objnum - misses, dlt);
}

static void wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_timeout(HZ / 10);
	}
}

static int worker(void *unused)
{
	ktime_t begin, end;
	int misses;

	show_params();
	begin = ktime_get();
	misses = alloc_and_free();
	end = ktime_get();
	report(misses, ktime_to_ns(ktime_sub(end, begin)));
	wait_for_stop();
	return 0;
}

static int start_worker(void)
{
	worker_task = kthread_create(worker, NULL, "lab5_kmem");
	if (IS_ERR(worker_task)) {
		printk(KERN_ERR "lab5_kmem: kthread_create failed\n");
		return PTR_ERR(worker_task);
	}
	kthread_bind(worker_task, 0);
	wake_up_process(worker_task);
	return 0;
}

static int __init kmem_init(void)
{
	int err = start_worker();

	if (!err)
		printk(KERN_INFO "lab5_kmem: thread started on cpu 0\n");
	return err;
}

static void __exit kmem_exit(void)
{
	kthread_stop(worker_task);
	printk(KERN_INFO "lab5_kmem: bye\n");
}

module_init(kmem_init);
module_exit(kmem_exit);
