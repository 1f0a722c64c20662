using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.FixedPointerAnalyzer, PinAnalyzers.CodeFixes.UsePinnedMemoryCodeFix>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MemoryHandleAnalyzer, PinAnalyzers.CodeFixes.UsePinnedMemoryCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN2002 "Allocate on the Pinned Object Heap": the array whose pointer a retaining call keeps is created in the same type.</summary>
public sealed class PIN2002PinnedObjectHeapCodeFixTests
{
    private const string Key = UsePinnedMemoryCodeFix.RetainedEquivalenceKey;

    private const string Verbs = """

        static unsafe class Verbs
        {
            [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
        }
        """;

    [Fact]
    public Task FixedOverAFieldArray_RegisteredWithTheNic()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private byte[] _buffer = new byte[4096];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, (nuint)_buffer.Length, 1);
                    }
                }
            }
            """ + Verbs, """
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(4096, pinned: true);

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, p, (nuint)_buffer.Length, 1);
                    }
                }
            }
            """ + Verbs, Key);

    [Fact]
    public Task FixedOverAnElementOfAnArrayCreatedInTheConstructor()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly long[] _slots;

                public Nic(int count) => _slots = new long[count];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (long* p = &_slots[0])
                    {
                        var address = p + 1;
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:address|}, 8, 1);
                    }
                }
            }
            """ + Verbs, """
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly long[] _slots;

                public Nic(int count) => _slots = GC.AllocateArray<long>(count, pinned: true);

                public IntPtr Register(IntPtr pd)
                {
                    fixed (long* p = &_slots[0])
                    {
                        var address = p + 1;
                        return Verbs.ibv_reg_mr(pd, address, 8, 1);
                    }
                }
            }
            """ + Verbs, Key);

    [Fact]
    public Task MemoryHandleOverAFieldArray()
        => VerifyMemory.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly byte[] _buffer = new byte[256];

                public IntPtr Register(IntPtr pd)
                {
                    using var pin = _buffer.AsMemory().Pin();
                    return Verbs.ibv_reg_mr(pd, {|PIN2002:pin.Pointer|}, 256, 1);
                }
            }
            """ + Verbs, """
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(256, pinned: true);

                public IntPtr Register(IntPtr pd)
                {
                    using var pin = _buffer.AsMemory().Pin();
                    return Verbs.ibv_reg_mr(pd, pin.Pointer, 256, 1);
                }
            }
            """ + Verbs, Key);

    [Fact]
    public Task NotOffered_ForAParameterArray()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                public IntPtr Register(IntPtr pd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, (nuint)buffer.Length, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_WhenTheArrayIsReplacedOutsideAConstructor()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private byte[] _buffer = new byte[4096];

                public void Grow() => _buffer = new byte[8192];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, (nuint)_buffer.Length, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_WhenTheArrayComesFromAnotherObject()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly Nic? _peer;
                private byte[] _buffer = new byte[4096];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _peer!._buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, 16, 1);
                    }
                }
            }
            """ + Verbs);
}
