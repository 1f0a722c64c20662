using System;
using System.Buffers;
using System.Runtime.InteropServices;
#if NET5_0_OR_GREATER
using System.Runtime.CompilerServices;
#else
using System.Reflection;
#endif

namespace PinAnalyzers.Leases;

/// <summary>Pins an array with a pinned <see cref="GCHandle"/>.</summary>
internal sealed class ArrayPinCore : LeaseCore
{
    private readonly Array _array;
    private GCHandle _handle;

    internal ArrayPinCore(Array array, PinBudget budget, long byteLength, string leaseName)
        : base(budget, byteLength, leaseName)
    {
        _array = array;
    }

    protected override IntPtr PinResource()
    {
        _handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        return _handle.AddrOfPinnedObject();
    }

    protected override void ReleaseResource() => _handle.Free();
}

/// <summary>Pins a <see cref="Memory{T}"/> with <see cref="Memory{T}.Pin"/>.</summary>
internal sealed class MemoryPinCore<T> : LeaseCore
    where T : unmanaged
{
    private Memory<T> _memory;
    private MemoryHandle _handle;

    internal MemoryPinCore(Memory<T> memory, PinBudget budget, long byteLength, string leaseName)
        : base(budget, byteLength, leaseName)
    {
        _memory = memory;
    }

    protected override unsafe IntPtr PinResource()
    {
        _handle = _memory.Pin();
        return (IntPtr)_handle.Pointer;
    }

    protected override void ReleaseResource()
    {
        _handle.Dispose();
        _memory = default;
    }
}

/// <summary>
/// An array on the Pinned Object Heap: it never moves, so there is no handle to take or free;
/// "unpinning" gives the budget back and ends the lease.
/// </summary>
internal sealed class PinnedHeapCore<T> : LeaseCore
    where T : unmanaged
{
    private readonly T[] _array;

    internal PinnedHeapCore(T[] array, PinBudget budget, long byteLength, string leaseName)
        : base(budget, byteLength, leaseName)
    {
        _array = array;
    }

    protected override unsafe IntPtr PinResource()
    {
#if NET5_0_OR_GREATER
        return (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
#else
        if (_array.Length == 0)
        {
            return IntPtr.Zero;
        }

        fixed (T* p = _array)
        {
            // The array lives on the Pinned Object Heap: the address stays valid after the fixed block.
            return (IntPtr)p;
        }
#endif
    }

    protected override void ReleaseResource()
    {
    }
}

/// <summary>Allocates arrays on the Pinned Object Heap when the runtime has one.</summary>
internal static class PinnedArrays<T>
    where T : unmanaged
{
#if NET5_0_OR_GREATER
    internal static bool Supported => true;

    internal static T[] Allocate(int length) => GC.AllocateArray<T>(length, pinned: true);
#else
    // The netstandard2.0 build may run on .NET 5+ (which has GC.AllocateArray<T>(int, bool)) or on a
    // runtime without a Pinned Object Heap (.NET Framework, Mono); probe once per element type.
    private static readonly Func<int, bool, T[]>? s_allocateArray = Probe();

    internal static bool Supported => s_allocateArray is not null;

    internal static T[] Allocate(int length) => s_allocateArray!(length, true);

    private static Func<int, bool, T[]>? Probe()
    {
        foreach (MethodInfo method in typeof(GC).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (method.Name == "AllocateArray" && method.IsGenericMethodDefinition)
            {
                ParameterInfo[] parameters = method.GetParameters();
                if (parameters.Length == 2
                    && parameters[0].ParameterType == typeof(int)
                    && parameters[1].ParameterType == typeof(bool))
                {
                    return (Func<int, bool, T[]>)method.MakeGenericMethod(typeof(T))
                        .CreateDelegate(typeof(Func<int, bool, T[]>));
                }
            }
        }

        return null;
    }
#endif
}
