// Lab 5 - kmem_alloc module
// Creates a kernel thread on CPU 0 which allocates objnum structs with kmalloc()

#include <linux/module.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("student");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0);

struct lab_struct {
	unsigned int x[8];
};

static struct task_struct *alloc_task;

static int alloc_fn(void *data)
{
	struct lab_struct *ptr;
	unsigned int i;
	u64 t1, t2;

	printk(KERN_INFO "Thread started, objnum: %u\n", objnum);
	printk(KERN_INFO "Struct size = %zu bytes\n", sizeof(struct lab_struct));

	t1 = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		ptr = kmalloc(sizeof(struct lab_struct), GFP_KERNEL);
		if (!ptr) {
			printk(KERN_ERR "kmalloc failed\n");
			break;
		}
	}
	t2 = ktime_get_ns();

	printk(KERN_INFO "Allocation took %llu ns\n", t2 - t1);

	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init kmem_mod_init(void)
{
	alloc_task = kthread_create(alloc_fn, NULL, "kmem_alloc");
	if (IS_ERR(alloc_task)) {
		printk(KERN_ERR "kthread_create failed\n");
		return PTR_ERR(alloc_task);
	}
	kthread_bind(alloc_task, 0);
	wake_up_process(alloc_task);
	return 0;
}

static void __exit kmem_mod_exit(void)
{
	kthread_stop(alloc_task);
	printk(KERN_INFO "kmem_alloc module removed\n");
}

module_init(kmem_mod_init);
module_exit(kmem_mod_exit);
