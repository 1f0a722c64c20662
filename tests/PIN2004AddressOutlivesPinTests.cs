using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN2004AddressOutlivesPinTests
{
    [Fact]
    public Task AddressKeptPastFree()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Reader
            {
                [DllImport("libc")] private static extern void use(IntPtr p);

                private IntPtr _ptr;
                private static IntPtr s_ptr;

                public void Field(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    try
                    {
                        {|#0:_ptr = handle.AddrOfPinnedObject()|};
                        use(_ptr);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public static void Static(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    {|#1:s_ptr = handle.AddrOfPinnedObject()|};
                    handle.Free();
                }

                public static IntPtr Returned(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    var p = handle.AddrOfPinnedObject();
                    handle.Free();
                    {|#2:return p;|}
                }

                public static void Out(byte[] data, out IntPtr p)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    {|#3:p = handle.AddrOfPinnedObject()|};
                    handle.Free();
                }

                public static void Slot(byte[] data, IntPtr[] slots)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    {|#4:slots[0] = handle.AddrOfPinnedObject()|};
                    handle.Free();
                }

                public static Func<IntPtr> Captured(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    var p = handle.AddrOfPinnedObject();
                    handle.Free();
                    return () => {|#5:p|};
                }

                public static unsafe void Typed(byte[] data)
                {
                    var handle = new PinnedGCHandle<byte[]>(data);
                    {|#6:s_ptr = (IntPtr)handle.GetAddressOfArrayData()|};
                    handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN2004").WithLocation(0).WithArguments("stored in field '_ptr'"),
            Verify.Diagnostic("PIN2004").WithLocation(1).WithArguments("stored in static field 's_ptr'"),
            Verify.Diagnostic("PIN2004").WithLocation(2).WithArguments("returned"),
            Verify.Diagnostic("PIN2004").WithLocation(3).WithArguments("written to out parameter 'p'"),
            Verify.Diagnostic("PIN2004").WithLocation(4).WithArguments("stored in an array element"),
            Verify.Diagnostic("PIN2004").WithLocation(5).WithArguments("captured by a lambda"),
            Verify.Diagnostic("PIN2004").WithLocation(6).WithArguments("stored in static field 's_ptr'"));

    [Fact]
    public Task AddressUsedOnlyWhilePinnedIsFine()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            sealed class Reader
            {
                [DllImport("libc")] private static extern void use(IntPtr p);

                private readonly byte[] _poh = GC.AllocateArray<byte>(64, pinned: true);
                private IntPtr _ptr;

                public static void Before(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    try
                    {
                        var p = handle.AddrOfPinnedObject();
                        use(p);
                        Parallel.For(0, 4, i => use(p + i));
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public void PinnedObjectHeap()
                {
                    var handle = GCHandle.Alloc(_poh, GCHandleType.Pinned);
                    _ptr = handle.AddrOfPinnedObject();
                    handle.Free();
                }

                public void Local()
                {
                    var array = GC.AllocateArray<byte>(64, pinned: true);
                    var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
                    _ptr = handle.AddrOfPinnedObject();
                    handle.Free();
                }

                public static int Offset(byte[] data, IntPtr origin)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    var offset = (int)((long)handle.AddrOfPinnedObject() - (long)origin);
                    handle.Free();
                    return offset;
                }
            }
            """);

    [Fact]
    public Task UnreleasedHandleStaysPIN1001AndRetainingCallsStayPIN2002()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class RetainsPointerAttribute : Attribute { }

            sealed class Reader
            {
                [RetainsPointer, DllImport("libc")] private static extern void Register(IntPtr p);

                private IntPtr _ptr;

                public void NeverFreed(byte[] data)
                {
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    _ptr = handle.AddrOfPinnedObject();
                }

                public static void Retained(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    Register({|#1:handle.AddrOfPinnedObject()|});
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_ptr'"),
            Verify.Diagnostic("PIN2002").WithLocation(1).WithArguments("Register", ""));

    [Fact]
    public Task AddressInALocalContainerUsedWhilePinnedIsFineButAFieldArrayIsNot()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Batch
            {
                [DllImport("libc")] private static extern int submit(IntPtr[] buffers, int count);

                private readonly IntPtr[] _last = new IntPtr[2];

                public int Inline(byte[] a, byte[] b)
                {
                    var first = GCHandle.Alloc(a, GCHandleType.Pinned);
                    var second = GCHandle.Alloc(b, GCHandleType.Pinned);
                    try
                    {
                        return submit(new[] { first.AddrOfPinnedObject(), second.AddrOfPinnedObject() }, 2);
                    }
                    finally
                    {
                        second.Free();
                        first.Free();
                    }
                }

                public int LocalArrayAndList(byte[] a)
                {
                    var handle = GCHandle.Alloc(a, GCHandleType.Pinned);
                    try
                    {
                        var table = new IntPtr[1];
                        table[0] = handle.AddrOfPinnedObject();
                        var list = new List<IntPtr>();
                        list.Add(handle.AddrOfPinnedObject());
                        return submit(table, 1) + submit(list.ToArray(), 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public void FieldArray(byte[] a)
                {
                    var handle = GCHandle.Alloc(a, GCHandleType.Pinned);
                    {|#0:_last[0] = handle.AddrOfPinnedObject()|};
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN2004").WithLocation(0).WithArguments("stored in an array element"));
}
