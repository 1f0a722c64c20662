using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.UnsafeAsPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Memory already pinned, as Garnet's storage engine writes it (DESIGN.md, "Memory already pinned is not movable"):
/// fields whose every assignment in the type is a POH allocation, an allocation flag that is a property which reads the
/// same on every call, a field reached through an array element just assigned POH memory, an enclosing call that runs
/// after the use, and prefetch hints. Each next to the neighbour that is still reported.
/// </summary>
public sealed class PIN2003PinnedFieldFactsTests
{
    [Fact]
    public Task FieldEveryAssignmentOfWhichIsPoh_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class SectorAlignedMemory
            {
                public byte[] buffer;
                public byte* aligned;

                public SectorAlignedMemory(int n)
                {
                    buffer = GC.AllocateArray<byte>(n, true);
                    aligned = (byte*)Unsafe.AsPointer(ref buffer[0]);
                }

                public (byte[] Array, long Offset) Get(long offset)
                {
                    long ptr = (long)Unsafe.AsPointer(ref buffer[0]);
                    return (buffer, offset + ptr);
                }

                public void Return() => buffer = null;
            }
            """);

    [Fact]
    public Task FieldWithOneOrdinaryAssignment_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Threading;

            unsafe sealed class SectorAlignedMemory
            {
                public byte[] buffer;
                public byte[] swapped;

                public SectorAlignedMemory(int n)
                {
                    buffer = GC.AllocateArray<byte>(n, true);
                    swapped = GC.AllocateArray<byte>(n, true);
                }

                public void Replace(byte[] given) => buffer = given;

                public void Exchange(byte[] given) => Interlocked.Exchange(ref swapped, given);

                public long Address() => (long){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};

                public long Swapped() => (long){|PIN2003:Unsafe.AsPointer(ref swapped[0])|};
            }
            """);

    [Fact]
    public Task FieldCopiedByAPrivateConstructorFromItself_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe struct SessionParseState
            {
                private long* bufferPtr;
                private long[] rootBuffer;

                private SessionParseState(ref long[] rootBuffer, long* bufferPtr)
                {
                    this.rootBuffer = rootBuffer;
                    this.bufferPtr = bufferPtr;
                }

                public void Initialize(int count)
                {
                    rootBuffer = GC.AllocateArray<long>(count, true);
                    bufferPtr = (long*)Unsafe.AsPointer(ref rootBuffer[0]);
                }

                public void EnsureCapacity(int capacity)
                {
                    Initialize(capacity);
                    bufferPtr = (long*)Unsafe.AsPointer(ref rootBuffer[0]) + 1;
                }

                public SessionParseState Slice(int offset) => new SessionParseState(ref rootBuffer, bufferPtr + offset);
            }
            """);

    [Fact]
    public Task FieldCopiedFromAnotherArrayByTheConstructor_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe struct SessionParseState
            {
                private long[] rootBuffer;

                private SessionParseState(long[] rootBuffer) => this.rootBuffer = rootBuffer;

                public void Initialize(int count) => rootBuffer = GC.AllocateArray<long>(count, true);

                public long* First() => (long*){|PIN2003:Unsafe.AsPointer(ref rootBuffer[0])|};

                public static SessionParseState Over(long[] given) => new SessionParseState(given);
            }
            """);

    [Fact]
    public Task AllocationFlagThatIsAStableProperty_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            static class Utility
            {
                internal static bool IsBlittable<T>() => !RuntimeHelpers.IsReferenceOrContainsReferences<T>();
            }

            unsafe sealed class MallocFixedPageSize<T>
            {
                private readonly T[][] values = new T[16][];
                private readonly IntPtr[] pointers = new IntPtr[16];

                internal static bool IsBlittable => Utility.IsBlittable<T>();

                public MallocFixedPageSize()
                {
                    values[0] = GC.AllocateArray<T>(4096, pinned: IsBlittable);
                    if (IsBlittable)
                    {
                        pointers[0] = (IntPtr)Unsafe.AsPointer(ref values[0][0]);
                    }
                }

                public void Grow(int index)
                {
                    var page = GC.AllocateArray<T>(4096, pinned: IsBlittable);
                    if (IsBlittable)
                    {
                        pointers[index] = (IntPtr)Unsafe.AsPointer(ref page[0]);
                    }

                    values[index] = page;
                }
            }
            """);

    [Fact]
    public Task AllocationFlagThatIsAPropertyThatMayChange_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class Pages<T>
            {
                private static int s_mode;
                private readonly IntPtr[] pointers = new IntPtr[16];

                internal bool Pinned { get; set; }

                internal static bool ByMode => s_mode > 0;

                public void Grow(int index)
                {
                    var page = GC.AllocateArray<T>(4096, pinned: Pinned);
                    if (Pinned)
                    {
                        pointers[index] = (IntPtr){|PIN2003:Unsafe.AsPointer(ref page[0])|};
                    }

                    var other = GC.AllocateArray<T>(4096, pinned: ByMode);
                    if (ByMode)
                    {
                        pointers[index + 1] = (IntPtr){|PIN2003:Unsafe.AsPointer(ref other[0])|};
                    }
                }
            }
            """);

    [Fact]
    public Task FieldOfAnArrayElementJustAssignedPoh_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe struct InternalHashTable
            {
                public long[] tableRaw;
                public long* tableAligned;
            }

            unsafe sealed class TsavoriteBase
            {
                internal InternalHashTable[] state = new InternalHashTable[2];

                // An ordinary array in the field too: only the statement before the use says what it holds there.
                public void Scratch(int version) => state[version].tableRaw = new long[8];

                public void Initialize(int version, int size)
                {
                    state[version].tableRaw = GC.AllocateArray<long>(size, true);
                    var aligned = ((long)Unsafe.AsPointer(ref state[version].tableRaw[0]) + 63) & ~63L;
                    state[version].tableAligned = (long*)aligned;
                }

                public void Reported(int version, int size)
                {
                    state[version].tableRaw = GC.AllocateArray<long>(size, true);
                    version++;
                    state[version].tableAligned = (long*){|PIN2003:Unsafe.AsPointer(ref state[version].tableRaw[0])|};
                    state[0].tableRaw = GC.AllocateArray<long>(size, true);
                    state[1].tableAligned = (long*){|PIN2003:Unsafe.AsPointer(ref state[1].tableRaw[0])|};
                }
            }
            """);

    [Fact]
    public Task OtherObjectsFieldClearedWithNull_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe struct InternalHashTable
            {
                public long[] tableRaw;
            }

            unsafe sealed class TsavoriteBase
            {
                internal InternalHashTable[] state = new InternalHashTable[2];

                public void Initialize(int version, int size) => state[version].tableRaw = GC.AllocateArray<long>(size, true);

                public void Release(int version) => state[version].tableRaw = null;

                public long* Table(int version) => (long*)Unsafe.AsPointer(ref state[version].tableRaw[0]);
            }
            """);

    [Fact]
    public Task EnclosingCallRunsAfterTheUse_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            static class Utility
            {
                internal static long RoundUp(long value, int alignment) => (value + alignment - 1) & ~(long)(alignment - 1);
            }

            unsafe sealed class ConcurrentCounter
            {
                private long[] partitions = Array.Empty<long>();
                private long* aligned;

                private void Reset() => partitions = new long[1];

                public ConcurrentCounter()
                {
                    partitions = GC.AllocateArray<long>(16, true);
                    aligned = (long*)Utility.RoundUp((long)Unsafe.AsPointer(ref partitions[0]), 64);
                }

                public void Reported()
                {
                    partitions = GC.AllocateArray<long>(16, true);
                    aligned = (long*)Utility.RoundUp(Bump(), (int){|PIN2003:Unsafe.AsPointer(ref partitions[0])|});
                }

                private long Bump()
                {
                    Reset();
                    return 0;
                }
            }
            """);

    [Fact]
    public Task PrefetchHintIsNotAnAccess_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;
            using System.Runtime.Intrinsics.X86;

            unsafe sealed class Sketch
            {
                private readonly long[] sketch = new long[64];

                public void Prefetch(int slot)
                {
                    if (Sse.IsSupported)
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref sketch[slot]));
                    }
                }

                public void* Address(int slot) => {|PIN2003:Unsafe.AsPointer(ref sketch[slot])|};
            }
            """);

    [Fact]
    public Task LocalClearedWithNullAfterTheUse_NoDiagnostic_OrdinaryArrayReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Device
            {
                [System.Runtime.InteropServices.DllImport("dev")] private static extern void write(void* data, int length);

                public static void Write(int n)
                {
                    var buffer = GC.AllocateArray<byte>(n, true);
                    write(Unsafe.AsPointer(ref buffer[0]), n);
                    buffer = null;
                    var ordinary = new byte[n];
                    write({|PIN2003:Unsafe.AsPointer(ref ordinary[0])|}, n);
                    ordinary = null;
                }
            }
            """);
}
