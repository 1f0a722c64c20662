using System;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN2002.UsePinnedMemory
{
    unsafe sealed class Nic
    {
        private byte[] _buffer = new byte[4096];

        public IntPtr Register(IntPtr pd)
        {
            // The NIC keeps the address until the region is deregistered: the fixed ends long before that.
            fixed (byte* p = _buffer)
            {
                return Verbs.ibv_reg_mr(pd, p, (nuint)_buffer.Length, 1);
            }
        }
    }

    unsafe sealed class Ring
    {
        private readonly long[] _slots;

        public Ring(int count) => _slots = new long[count];

        public IntPtr Register(IntPtr pd)
        {
            fixed (long* p = &_slots[0])
            {
                var address = p + 1;
                return Verbs.ibv_reg_mr(pd, address, 8, 1);
            }
        }
    }

    static unsafe class Verbs
    {
        [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
    }
}
