using System;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN2002.RetainedPointerLease
{
    unsafe sealed class Nic : IDisposable
    {
        private readonly byte[] _buffer = new byte[4096];
        private IntPtr _mr;

        public void Register(IntPtr pd)
        {
            // The NIC writes into the buffer until deregistered.
            fixed (byte* p = _buffer)
            {
                _mr = Verbs.ibv_reg_mr(pd, p, (nuint)_buffer.Length, 1);
            }
        }

        public void Dispose() => Verbs.ibv_dereg_mr(_mr);
    }

    unsafe sealed class Ring : IDisposable
    {
        private readonly long[] _slots = new long[64];
        private IntPtr _mr;

        public void Register(IntPtr pd)
        {
            fixed (long* first = &_slots[0])
            {
                _mr = Verbs.ibv_reg_mr(pd, first, (nuint)(_slots.Length * sizeof(long)), 2);
            }
        }

        public void Dispose() => Verbs.ibv_dereg_mr(_mr);
    }

    static unsafe class Verbs
    {
        [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);

        [DllImport("ibverbs")] public static extern int ibv_dereg_mr(IntPtr mr);
    }
}
