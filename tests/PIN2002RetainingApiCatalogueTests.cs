using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using PinAnalyzers.Flow;
using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN2002 on the catalogue of native APIs that keep the caller's buffer (analyzer/Flow/RetainingApis.cs, DESIGN.md
/// "Retaining calls"): every entry reports a pointer whose pin ends in the method, and each condition, kept parameter,
/// binding type and entry-point rule has a counterpart that does not report. The declarations follow the libraries'
/// own signatures (and the bindings' parameter names) so that a wrong parameter index in the table fails here.
/// </summary>
public sealed class PIN2002RetainingApiCatalogueTests
{
    private static DiagnosticResult Fixed(int location, string call, string why)
        => VerifyFixed.Diagnostic("PIN2002").WithLocation(location).WithArguments(call, ": " + why);

    // ---- Dear ImGui: cimgui entry points ----

    private const string CImGui = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct ImFontConfig
        {
            public IntPtr FontData;
            public int FontDataSize;
            public byte FontDataOwnedByAtlas;
        }

        unsafe static class ImGuiNative
        {
            [DllImport("cimgui")] public static extern IntPtr ImFontAtlas_AddFontFromMemoryTTF(IntPtr self, void* font_data, int font_data_size, float size_pixels, ImFontConfig* font_cfg, ushort* glyph_ranges);
            [DllImport("cimgui")] public static extern IntPtr ImFontAtlas_AddFontFromMemoryCompressedTTF(IntPtr self, void* compressed_font_data, int compressed_font_data_size, float size_pixels, ImFontConfig* font_cfg, ushort* glyph_ranges);
            [DllImport("cimgui")] public static extern IntPtr ImFontAtlas_AddFontFromMemoryCompressedBase85TTF(IntPtr self, byte* compressed_font_data_base85, float size_pixels, ImFontConfig* font_cfg, ushort* glyph_ranges);
            [DllImport("cimgui")] public static extern IntPtr ImFontAtlas_AddFontFromFileTTF(IntPtr self, byte* filename, float size_pixels, ImFontConfig* font_cfg, ushort* glyph_ranges);
        }

        """;

    private const string FontData = "the font atlas keeps the font data (and frees it when FontDataOwnedByAtlas is true)";
    private const string GlyphRanges = "the font atlas keeps the glyph ranges while the font is alive";

    [Fact]
    public Task CImGuiAddFontFromMemoryTtfKeepsFontData()
        => VerifyFixed.VerifyAsync(CImGui + """
            unsafe static class Fonts
            {
                public static IntPtr Load(IntPtr atlas, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        return ImGuiNative.ImFontAtlas_AddFontFromMemoryTTF(atlas, {|#0:p|}, ttf.Length, 16f, null, null);
                    }
                }
            }
            """,
            Fixed(0, "ImFontAtlas_AddFontFromMemoryTTF", FontData));

    [Fact]
    public Task CImGuiFontDataOwnedByAtlasFalseIsNotReported()
        => VerifyFixed.VerifyAsync(CImGui + """
            unsafe static class Fonts
            {
                public static IntPtr Load(IntPtr atlas, byte[] ttf)
                {
                    var config = new ImFontConfig();
                    config.FontDataOwnedByAtlas = 0;
                    fixed (byte* p = ttf)
                    {
                        return ImGuiNative.ImFontAtlas_AddFontFromMemoryTTF(atlas, p, ttf.Length, 16f, &config, null);
                    }
                }
            }
            """);

    [Fact]
    public Task CImGuiGlyphRangesAreKeptByEveryAddFont()
        => VerifyFixed.VerifyAsync(CImGui + """
            unsafe static class Fonts
            {
                private static readonly ushort[] Ranges = { 0x20, 0xFF, 0 };

                public static void Load(IntPtr atlas, IntPtr nativeTtf, int size, byte* path, byte* base85)
                {
                    fixed (ushort* r = Ranges)
                    {
                        ImGuiNative.ImFontAtlas_AddFontFromMemoryTTF(atlas, (void*)nativeTtf, size, 16f, null, {|#0:r|});
                        ImGuiNative.ImFontAtlas_AddFontFromMemoryCompressedTTF(atlas, (void*)nativeTtf, size, 16f, null, {|#1:r|});
                        ImGuiNative.ImFontAtlas_AddFontFromMemoryCompressedBase85TTF(atlas, base85, 16f, null, {|#2:r|});
                        ImGuiNative.ImFontAtlas_AddFontFromFileTTF(atlas, path, 16f, null, {|#3:r|});
                    }
                }
            }
            """,
            Fixed(0, "ImFontAtlas_AddFontFromMemoryTTF", GlyphRanges),
            Fixed(1, "ImFontAtlas_AddFontFromMemoryCompressedTTF", GlyphRanges),
            Fixed(2, "ImFontAtlas_AddFontFromMemoryCompressedBase85TTF", GlyphRanges),
            Fixed(3, "ImFontAtlas_AddFontFromFileTTF", GlyphRanges));

    [Fact]
    public Task CImGuiCompressedDataPathAndConfigAreNotKept()
        => VerifyFixed.VerifyAsync(CImGui + """
            unsafe static class Fonts
            {
                public static void Load(IntPtr atlas, byte[] compressed, byte[] path, byte[] base85, ImFontConfig[] configs)
                {
                    fixed (byte* c = compressed)
                    fixed (byte* f = path)
                    fixed (byte* b = base85)
                    fixed (ImFontConfig* config = configs)
                    {
                        ImGuiNative.ImFontAtlas_AddFontFromMemoryCompressedTTF(atlas, c, compressed.Length, 16f, config, null);
                        ImGuiNative.ImFontAtlas_AddFontFromMemoryCompressedBase85TTF(atlas, b, 16f, config, null);
                        ImGuiNative.ImFontAtlas_AddFontFromFileTTF(atlas, f, 16f, config, null);
                    }
                }
            }
            """);

    // ---- Dear ImGui: ImGui.NET and Hexa.NET.ImGui wrappers ----

    private const string ImGuiNet = """
        using System;

        namespace ImGuiNET
        {
            public sealed class ImFontConfigPtr
            {
                public bool FontDataOwnedByAtlas { get; set; } = true;
            }

            public struct ImFontAtlasPtr
            {
                public IntPtr AddFontFromMemoryTTF(IntPtr font_data, int font_size, float size_pixels) => IntPtr.Zero;
                public IntPtr AddFontFromMemoryTTF(IntPtr font_data, int font_size, float size_pixels, ImFontConfigPtr font_cfg, IntPtr glyph_ranges) => IntPtr.Zero;
                public IntPtr AddFontFromMemoryCompressedTTF(IntPtr compressed_font_data, int compressed_font_size, float size_pixels, ImFontConfigPtr font_cfg, IntPtr glyph_ranges) => IntPtr.Zero;
                public IntPtr AddFontFromMemoryCompressedBase85TTF(string compressed_font_data_base85, float size_pixels, ImFontConfigPtr font_cfg, IntPtr glyph_ranges) => IntPtr.Zero;
                public IntPtr AddFontFromFileTTF(string filename, float size_pixels, ImFontConfigPtr font_cfg, IntPtr glyph_ranges) => IntPtr.Zero;
            }
        }

        namespace Hexa.NET.ImGui
        {
            public unsafe static class ImGui
            {
                public static IntPtr AddFontFromMemoryTTF(IntPtr self, void* fontData, int fontDataSize, float sizePixels, IntPtr fontCfg, uint* glyphRanges) => IntPtr.Zero;
            }
        }

        namespace MyGame
        {
            public struct FontAtlas
            {
                public IntPtr AddFontFromMemoryTTF(IntPtr font_data, int font_size, float size_pixels) => IntPtr.Zero;
            }
        }

        """;

    [Fact]
    public Task ImGuiNetAddFontFromMemoryTtfKeepsFontData()
        => VerifyFixed.VerifyAsync(ImGuiNet + """
            unsafe static class Fonts
            {
                public static IntPtr Load(ImGuiNET.ImFontAtlasPtr atlas, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        return atlas.AddFontFromMemoryTTF({|#0:(IntPtr)p|}, ttf.Length, 16f);
                    }
                }
            }
            """,
            Fixed(0, "AddFontFromMemoryTTF", FontData));

    [Fact]
    public Task HexaImGuiAddFontFromMemoryTtfKeepsFontDataByName()
        => VerifyFixed.VerifyAsync(ImGuiNet + """
            unsafe static class Fonts
            {
                public static IntPtr Load(IntPtr atlas, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        return Hexa.NET.ImGui.ImGui.AddFontFromMemoryTTF(atlas, {|#0:p|}, ttf.Length, 16f, IntPtr.Zero, null);
                    }
                }
            }
            """,
            Fixed(0, "AddFontFromMemoryTTF", FontData));

    [Fact]
    public Task ImGuiNetGlyphRangesAreKept()
        => VerifyFixed.VerifyAsync(ImGuiNet + """
            unsafe static class Fonts
            {
                private static readonly ushort[] Ranges = { 0x20, 0xFF, 0 };

                public static void Load(ImGuiNET.ImFontAtlasPtr atlas, ImGuiNET.ImFontConfigPtr config, IntPtr nativeTtf, int size)
                {
                    fixed (ushort* r = Ranges)
                    {
                        atlas.AddFontFromMemoryTTF(nativeTtf, size, 16f, config, {|#0:(IntPtr)r|});
                        atlas.AddFontFromMemoryCompressedTTF(nativeTtf, size, 16f, config, {|#1:(IntPtr)r|});
                        atlas.AddFontFromMemoryCompressedBase85TTF("...", 16f, config, {|#2:(IntPtr)r|});
                        atlas.AddFontFromFileTTF("font.ttf", 16f, config, {|#3:(IntPtr)r|});
                    }
                }
            }
            """,
            Fixed(0, "AddFontFromMemoryTTF", GlyphRanges),
            Fixed(1, "AddFontFromMemoryCompressedTTF", GlyphRanges),
            Fixed(2, "AddFontFromMemoryCompressedBase85TTF", GlyphRanges),
            Fixed(3, "AddFontFromFileTTF", GlyphRanges));

    [Fact]
    public Task ImGuiNetFontDataOwnedByAtlasFalseIsSilentButRangesStillReport()
        => VerifyFixed.VerifyAsync(ImGuiNet + """
            unsafe static class Fonts
            {
                private static readonly ushort[] Ranges = { 0x20, 0xFF, 0 };

                public static void Load(ImGuiNET.ImFontAtlasPtr atlas, byte[] ttf)
                {
                    var config = new ImGuiNET.ImFontConfigPtr();
                    config.FontDataOwnedByAtlas = false;
                    fixed (byte* p = ttf)
                    fixed (ushort* r = Ranges)
                    {
                        atlas.AddFontFromMemoryTTF((IntPtr)p, ttf.Length, 16f, config, {|#0:(IntPtr)r|});
                    }
                }
            }
            """,
            Fixed(0, "AddFontFromMemoryTTF", GlyphRanges));

    [Fact]
    public Task ImGuiCompressedDataAndSameNamedMethodOnOtherTypeAreNotKept()
        => VerifyFixed.VerifyAsync(ImGuiNet + """
            unsafe static class Fonts
            {
                public static void Load(ImGuiNET.ImFontAtlasPtr atlas, MyGame.FontAtlas mine, ImGuiNET.ImFontConfigPtr config, byte[] compressed, byte[] ttf)
                {
                    fixed (byte* c = compressed)
                    fixed (byte* p = ttf)
                    {
                        atlas.AddFontFromMemoryCompressedTTF((IntPtr)c, compressed.Length, 16f, config, IntPtr.Zero);
                        mine.AddFontFromMemoryTTF((IntPtr)p, ttf.Length, 16f);
                    }
                }
            }
            """);

    // ---- GDI+ ----

    private const string Gdi = """
        using System;
        using System.Runtime.InteropServices;

        namespace System.Drawing.Text
        {
            public sealed class PrivateFontCollection : IDisposable
            {
                public void AddMemoryFont(IntPtr memory, int length) { }
                public void Dispose() { }
            }
        }

        namespace MyFonts
        {
            public sealed class FontCache
            {
                public void AddMemoryFont(IntPtr memory, int length) { }
            }
        }

        static class Gdip
        {
            [DllImport("gdiplus.dll", ExactSpelling = true)]
            public static extern int GdipPrivateAddMemoryFont(IntPtr fontCollection, IntPtr memory, int length);
        }

        """;

    private const string MemoryFont = "GDI+ reads the font memory while the collection is in use";

    [Fact]
    public Task PrivateFontCollectionAddMemoryFontWithFixed()
        => VerifyFixed.VerifyAsync(Gdi + """
            unsafe static class Fonts
            {
                public static void Load(System.Drawing.Text.PrivateFontCollection fonts, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        fonts.AddMemoryFont({|#0:(IntPtr)p|}, ttf.Length);
                    }
                }
            }
            """,
            Fixed(0, "AddMemoryFont", MemoryFont));

    [Fact]
    public Task PrivateFontCollectionAddMemoryFontWithHandleFreedInFinally()
        => VerifyHandle.VerifyAsync(Gdi + """
            static class Fonts
            {
                public static void Load(System.Drawing.Text.PrivateFontCollection fonts, byte[] ttf)
                {
                    var handle = GCHandle.Alloc(ttf, GCHandleType.Pinned);
                    try
                    {
                        fonts.AddMemoryFont({|#0:handle.AddrOfPinnedObject()|}, ttf.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("AddMemoryFont", ": " + MemoryFont));

    [Fact]
    public Task GdipPrivateAddMemoryFontEntryPoint()
        => VerifyFixed.VerifyAsync(Gdi + """
            unsafe static class Fonts
            {
                public static int Load(IntPtr collection, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        return Gdip.GdipPrivateAddMemoryFont(collection, {|#0:(IntPtr)p|}, ttf.Length);
                    }
                }
            }
            """,
            Fixed(0, "GdipPrivateAddMemoryFont", MemoryFont));

    [Fact]
    public Task AddMemoryFontOnAnotherTypeIsNotKept()
        => VerifyFixed.VerifyAsync(Gdi + """
            unsafe static class Fonts
            {
                public static void Load(MyFonts.FontCache cache, byte[] ttf)
                {
                    fixed (byte* p = ttf)
                    {
                        cache.AddMemoryFont((IntPtr)p, ttf.Length);
                    }
                }
            }
            """);

    // ---- FreeType ----

    private const string FreeType = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        unsafe struct FT_Open_Args
        {
            public uint flags;
            public byte* memory_base;
            public nint memory_size;
            public byte* pathname;
            public IntPtr stream;
            public IntPtr driver;
            public int num_params;
            public IntPtr @params;
        }

        unsafe static class FT
        {
            public const uint FT_OPEN_MEMORY = 0x1;
            public const uint FT_OPEN_PATHNAME = 0x4;

            [DllImport("freetype")] public static extern int FT_New_Memory_Face(IntPtr library, byte* file_base, nint file_size, nint face_index, out IntPtr aface);
            [DllImport("freetype")] public static extern int FT_Open_Face(IntPtr library, FT_Open_Args* args, nint face_index, out IntPtr aface);
            [DllImport("freetype")] public static extern int FT_Done_Face(IntPtr face);
        }

        """;

    private const string MemoryFace = "FreeType reads the font buffer until FT_Done_Face";
    private const string MemoryStream = "FreeType reads the memory stream until FT_Done_Face";

    [Fact]
    public Task FtNewMemoryFaceWithFixed()
        => VerifyFixed.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static IntPtr Open(IntPtr library, byte[] font)
                {
                    fixed (byte* p = font)
                    {
                        FT.FT_New_Memory_Face(library, {|#0:p|}, font.Length, 0, out var face);
                        return face;
                    }
                }
            }
            """,
            Fixed(0, "FT_New_Memory_Face", MemoryFace));

    [Fact]
    public Task FtNewMemoryFaceWithHandleFreedAfterTheCall()
        => VerifyHandle.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static IntPtr Open(IntPtr library, byte[] font)
                {
                    var handle = GCHandle.Alloc(font, GCHandleType.Pinned);
                    FT.FT_New_Memory_Face(library, {|#0:(byte*)handle.AddrOfPinnedObject()|}, font.Length, 0, out var face);
                    handle.Free();
                    return face;
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("FT_New_Memory_Face", ": " + MemoryFace));

    [Fact]
    public Task FtNewMemoryFaceDoneInsideThePinIsStillReported()
        => VerifyFixed.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static IntPtr Open(IntPtr library, byte[] font)
                {
                    fixed (byte* p = font)
                    {
                        FT.FT_New_Memory_Face(library, {|#0:p|}, font.Length, 0, out var face);
                        return face;
                    }
                }

                public static void Close(IntPtr face) => FT.FT_Done_Face(face);
            }
            """,
            Fixed(0, "FT_New_Memory_Face", MemoryFace));

    [Fact]
    public Task FtOpenFaceWithMemoryStream()
        => VerifyFixed.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static IntPtr Open(IntPtr library, byte[] font)
                {
                    fixed (byte* p = font)
                    {
                        FT_Open_Args args = default;
                        args.flags = FT.FT_OPEN_MEMORY;
                        args.memory_base = p;
                        args.memory_size = font.Length;
                        FT.FT_Open_Face(library, {|#0:&args|}, 0, out var face);
                        return face;
                    }
                }
            }
            """,
            Fixed(0, "FT_Open_Face", MemoryStream));

    [Fact]
    public Task FtOpenFaceWithMemoryStreamInAnInitializer()
        => VerifyFixed.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static IntPtr Open(IntPtr library, byte[] font)
                {
                    fixed (byte* p = font)
                    {
                        var args = new FT_Open_Args { flags = 1, memory_base = p, memory_size = font.Length };
                        FT.FT_Open_Face(library, {|#0:&args|}, 0, out var face);
                        return face;
                    }
                }
            }
            """,
            Fixed(0, "FT_Open_Face", MemoryStream));

    [Fact]
    public Task FtOpenFaceWithPathOrUnknownFlagsOrPinnedArgsIsNotReported()
        => VerifyFixed.VerifyAsync(FreeType + """
            unsafe static class Faces
            {
                public static void Open(IntPtr library, byte[] path, byte[] font, uint flags, FT_Open_Args[] pinnedArgs)
                {
                    fixed (byte* name = path)
                    {
                        FT_Open_Args args = default;
                        args.flags = FT.FT_OPEN_PATHNAME;
                        args.pathname = name;
                        FT.FT_Open_Face(library, &args, 0, out _);
                    }

                    fixed (byte* p = font)
                    {
                        FT_Open_Args args = default;
                        args.flags = flags;
                        args.memory_base = p;
                        FT.FT_Open_Face(library, &args, 0, out _);
                    }

                    fixed (FT_Open_Args* a = pinnedArgs)
                    {
                        FT.FT_Open_Face(library, a, 0, out _);
                    }
                }
            }
            """);

    // ---- SDL ----

    private const string Sdl = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        unsafe struct SDL_DialogFileFilter
        {
            public byte* name;
            public byte* pattern;
        }

        unsafe static partial class SDL
        {
            [DllImport("SDL2")] public static extern IntPtr SDL_RWFromMem(void* mem, int size);
            [DllImport("SDL2")] public static extern IntPtr SDL_RWFromConstMem(void* mem, int size);
            [DllImport("SDL2")] public static extern IntPtr SDL_CreateRGBSurfaceFrom(IntPtr pixels, int width, int height, int depth, int pitch, uint Rmask, uint Gmask, uint Bmask, uint Amask);
            [DllImport("SDL2")] public static extern IntPtr SDL_CreateRGBSurfaceWithFormatFrom(IntPtr pixels, int width, int height, int depth, int pitch, uint format);
            [DllImport("SDL3")] public static extern IntPtr SDL_IOFromMem(IntPtr mem, nuint size);
            [DllImport("SDL3")] public static extern IntPtr SDL_CreateSurfaceFrom(int width, int height, uint format, IntPtr pixels, int pitch);
            [DllImport("SDL3")] public static extern void SDL_ShowOpenFileDialog(IntPtr callback, IntPtr userdata, IntPtr window, SDL_DialogFileFilter* filters, int nfilters, byte* default_location, bool allow_many);
            [DllImport("SDL3")] public static extern void SDL_ShowSaveFileDialog(IntPtr callback, IntPtr userdata, IntPtr window, SDL_DialogFileFilter* filters, int nfilters, byte* default_location);
            [DllImport("SDL3")] public static extern void SDL_ShowOpenFolderDialog(IntPtr callback, IntPtr userdata, IntPtr window, byte* default_location, bool allow_many);
            [DllImport("SDL3")] public static extern bool SDL_SetPointerProperty(uint props, byte* name, IntPtr value);
            [DllImport("SDL3")] public static extern bool SDL_SetPointerPropertyWithCleanup(uint props, byte* name, IntPtr value, IntPtr cleanup, IntPtr userdata);

            // SDL3-CS declares its imports with LibraryImport (the generated half is written out here).
            [LibraryImport("SDL3", EntryPoint = "SDL_IOFromConstMem")]
            public static partial IntPtr IOFromConstMem(IntPtr mem, nuint size);
            public static partial IntPtr IOFromConstMem(IntPtr mem, nuint size) => IntPtr.Zero;
        }

        """;

    private const string SdlStream = "the SDL stream uses the memory until it is closed";
    private const string SdlSurface = "the surface uses the pixel data until it is freed";
    private const string SdlFilters = "SDL reads the filters when the dialog's callback runs";

    [Fact]
    public Task SdlMemoryStreams()
        => VerifyFixed.VerifyAsync(Sdl + """
            unsafe static class Streams
            {
                public static void Open(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        SDL.SDL_RWFromMem({|#0:p|}, data.Length);
                        SDL.SDL_RWFromConstMem({|#1:p|}, data.Length);
                        SDL.SDL_IOFromMem({|#2:(IntPtr)p|}, (nuint)data.Length);
                        SDL.IOFromConstMem({|#3:(IntPtr)p|}, (nuint)data.Length);
                    }
                }
            }
            """,
            Fixed(0, "SDL_RWFromMem", SdlStream),
            Fixed(1, "SDL_RWFromConstMem", SdlStream),
            Fixed(2, "SDL_IOFromMem", SdlStream),
            Fixed(3, "IOFromConstMem", SdlStream));

    [Fact]
    public Task SdlSurfacesFromPixels()
        => VerifyFixed.VerifyAsync(Sdl + """
            unsafe static class Surfaces
            {
                public static void Create(uint[] pixels, int width, int height)
                {
                    fixed (uint* p = pixels)
                    {
                        SDL.SDL_CreateRGBSurfaceFrom({|#0:(IntPtr)p|}, width, height, 32, width * 4, 0xFF0000, 0xFF00, 0xFF, 0xFF000000);
                        SDL.SDL_CreateRGBSurfaceWithFormatFrom({|#1:(IntPtr)p|}, width, height, 32, width * 4, 0x16462004);
                        SDL.SDL_CreateSurfaceFrom(width, height, 0x16462004, {|#2:(IntPtr)p|}, width * 4);
                    }
                }
            }
            """,
            Fixed(0, "SDL_CreateRGBSurfaceFrom", SdlSurface),
            Fixed(1, "SDL_CreateRGBSurfaceWithFormatFrom", SdlSurface),
            Fixed(2, "SDL_CreateSurfaceFrom", SdlSurface));

    [Fact]
    public Task SdlSurfaceWithHandleFreedInFinally()
        => VerifyHandle.VerifyAsync(Sdl + """
            static class Surfaces
            {
                public static IntPtr Create(uint[] pixels, int width, int height)
                {
                    var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
                    try
                    {
                        return SDL.SDL_CreateRGBSurfaceWithFormatFrom({|#0:handle.AddrOfPinnedObject()|}, width, height, 32, width * 4, 0x16462004);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("SDL_CreateRGBSurfaceWithFormatFrom", ": " + SdlSurface));

    [Fact]
    public Task SdlSurfaceFromPixelsOfTheSdl3PreviewOrderIsMatchedByName()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Preview
            {
                // SDL 3.0 previews took the pixels first.
                [DllImport("SDL3")] private static extern IntPtr SDL_CreateSurfaceFrom(IntPtr pixels, int width, int height, int pitch, uint format);

                public static void Create(uint[] pixels, int width, int height)
                {
                    fixed (uint* p = pixels)
                    {
                        SDL_CreateSurfaceFrom({|#0:(IntPtr)p|}, width, height, width * 4, 0x16462004);
                    }
                }
            }
            """,
            Fixed(0, "SDL_CreateSurfaceFrom", SdlSurface));

    [Fact]
    public Task SdlFileDialogFilters()
        => VerifyFixed.VerifyAsync(Sdl + """
            unsafe static class Dialogs
            {
                public static void Show(IntPtr callback, SDL_DialogFileFilter[] filters)
                {
                    fixed (SDL_DialogFileFilter* f = filters)
                    {
                        SDL.SDL_ShowOpenFileDialog(callback, IntPtr.Zero, IntPtr.Zero, {|#0:f|}, filters.Length, null, false);
                        SDL.SDL_ShowSaveFileDialog(callback, IntPtr.Zero, IntPtr.Zero, {|#1:f|}, filters.Length, null);
                    }
                }
            }
            """,
            Fixed(0, "SDL_ShowOpenFileDialog", SdlFilters),
            Fixed(1, "SDL_ShowSaveFileDialog", SdlFilters));

    [Fact]
    public Task SdlFileDialogLocationAndUserdataAreNotKept()
        => VerifyFixed.VerifyAsync(Sdl + """
            unsafe static class Dialogs
            {
                public static void Show(IntPtr callback, byte[] location, byte[] state)
                {
                    fixed (byte* l = location)
                    fixed (byte* s = state)
                    {
                        SDL.SDL_ShowOpenFileDialog(callback, (IntPtr)s, IntPtr.Zero, null, 0, l, false);
                        SDL.SDL_ShowOpenFolderDialog(callback, IntPtr.Zero, IntPtr.Zero, l, false);
                    }
                }
            }
            """);

    [Fact]
    public Task SdlPointerPropertiesKeepTheValue()
        => VerifyFixed.VerifyAsync(Sdl + """
            unsafe static class Dialogs
            {
                private static readonly byte[] FiltersName = "SDL.filedialog.filters\0"u8.ToArray();

                public static void Show(uint props, SDL_DialogFileFilter[] filters)
                {
                    fixed (byte* name = FiltersName)
                    fixed (SDL_DialogFileFilter* f = filters)
                    {
                        SDL.SDL_SetPointerProperty(props, name, {|#0:(IntPtr)f|});
                        SDL.SDL_SetPointerPropertyWithCleanup(props, name, {|#1:(IntPtr)f|}, IntPtr.Zero, IntPtr.Zero);
                    }
                }
            }
            """,
            Fixed(0, "SDL_SetPointerProperty", "the property group stores the pointer itself"),
            Fixed(1, "SDL_SetPointerPropertyWithCleanup", "the property group stores the pointer itself"));

    private const string Silk = """
        using System;

        namespace Silk.NET.SDL
        {
            public unsafe sealed class Sdl
            {
                public IntPtr RWFromMem(void* mem, int size) => IntPtr.Zero;
                public IntPtr RWFromConstMem(void* mem, int size) => IntPtr.Zero;
                public IntPtr CreateRGBSurfaceFrom(void* pixels, int width, int height, int depth, int pitch, uint Rmask, uint Gmask, uint Bmask, uint Amask) => IntPtr.Zero;
                public IntPtr CreateRGBSurfaceWithFormatFrom(void* pixels, int width, int height, int depth, int pitch, uint format) => IntPtr.Zero;
            }
        }

        namespace MyEngine
        {
            public unsafe sealed class Sdl
            {
                public IntPtr RWFromMem(void* mem, int size) => IntPtr.Zero;
            }
        }

        """;

    [Fact]
    public Task SilkNetSdlWrappers()
        => VerifyFixed.VerifyAsync(Silk + """
            unsafe static class Loader
            {
                public static void Load(Silk.NET.SDL.Sdl sdl, byte[] data, uint[] pixels)
                {
                    fixed (byte* p = data)
                    fixed (uint* q = pixels)
                    {
                        sdl.RWFromMem({|#0:p|}, data.Length);
                        sdl.RWFromConstMem({|#1:p|}, data.Length);
                        sdl.CreateRGBSurfaceFrom({|#2:q|}, 16, 16, 32, 64, 0, 0, 0, 0);
                        sdl.CreateRGBSurfaceWithFormatFrom({|#3:q|}, 16, 16, 32, 64, 0x16462004);
                    }
                }
            }
            """,
            Fixed(0, "RWFromMem", SdlStream),
            Fixed(1, "RWFromConstMem", SdlStream),
            Fixed(2, "CreateRGBSurfaceFrom", SdlSurface),
            Fixed(3, "CreateRGBSurfaceWithFormatFrom", SdlSurface));

    [Fact]
    public Task SameNamedMethodOnAnUnrelatedSdlTypeIsNotKept()
        => VerifyFixed.VerifyAsync(Silk + """
            unsafe static class Loader
            {
                public static void Load(MyEngine.Sdl sdl, byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        sdl.RWFromMem(p, data.Length);
                    }
                }
            }
            """);

    // ---- WinMM and ACM ----

    private const string WinMM = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct WAVEHDR
        {
            public IntPtr lpData;
            public uint dwBufferLength;
            public uint dwBytesRecorded;
            public IntPtr dwUser;
            public uint dwFlags;
            public uint dwLoops;
            public IntPtr lpNext;
            public IntPtr reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct ACMSTREAMHEADER
        {
            public int cbStruct;
            public int fdwStatus;
            public IntPtr dwUser;
            public IntPtr pbSrc;
            public int cbSrcLength;
            public int cbSrcLengthUsed;
            public IntPtr dwSrcUser;
            public IntPtr pbDst;
            public int cbDstLength;
            public int cbDstLengthUsed;
        }

        unsafe static class WinMM
        {
            [DllImport("winmm.dll")] public static extern int waveOutPrepareHeader(IntPtr hwo, WAVEHDR* pwh, int cbwh);
            [DllImport("winmm.dll")] public static extern int waveOutWrite(IntPtr hwo, ref WAVEHDR pwh, int cbwh);
            [DllImport("winmm.dll")] public static extern int waveOutUnprepareHeader(IntPtr hwo, WAVEHDR* pwh, int cbwh);
            [DllImport("winmm.dll")] public static extern int waveInPrepareHeader(IntPtr hwi, WAVEHDR* pwh, int cbwh);
            [DllImport("winmm.dll")] public static extern int waveInAddBuffer(IntPtr hwi, WAVEHDR* pwh, int cbwh);
            [DllImport("winmm.dll")] public static extern int midiOutPrepareHeader(IntPtr hmo, IntPtr pmh, int cbmh);
            [DllImport("msacm32.dll")] public static extern int acmStreamPrepareHeader(IntPtr has, ref ACMSTREAMHEADER pash, int fdwPrepare);
        }

        """;

    private const string Unprepared = "the driver uses the header and its buffer until they are unprepared";

    [Fact]
    public Task WaveHeadersPinnedByFixed()
        => VerifyFixed.VerifyAsync(WinMM + """
            unsafe sealed class Player
            {
                private readonly WAVEHDR[] _headers = new WAVEHDR[2];

                public void Prepare(IntPtr waveOut, IntPtr waveIn)
                {
                    fixed (WAVEHDR* h = _headers)
                    {
                        WinMM.waveOutPrepareHeader(waveOut, {|#0:h|}, sizeof(WAVEHDR));
                        WinMM.waveInPrepareHeader(waveIn, {|#1:h + 1|}, sizeof(WAVEHDR));
                        WinMM.waveInAddBuffer(waveIn, {|#2:h + 1|}, sizeof(WAVEHDR));
                    }
                }
            }
            """,
            Fixed(0, "waveOutPrepareHeader", Unprepared),
            Fixed(1, "waveInPrepareHeader", Unprepared),
            Fixed(2, "waveInAddBuffer", "the driver fills the buffer until it sets WHDR_DONE"));

    [Fact]
    public Task WaveOutWriteOfAHeaderHoldingAPinnedBuffer()
        => VerifyFixed.VerifyAsync(WinMM + """
            unsafe static class Player
            {
                public static void Play(IntPtr waveOut, byte[] samples)
                {
                    fixed (byte* p = samples)
                    {
                        var header = new WAVEHDR();
                        header.lpData = (IntPtr)p;
                        header.dwBufferLength = (uint)samples.Length;
                        WinMM.waveOutWrite(waveOut, {|#0:ref header|}, sizeof(WAVEHDR));
                    }
                }
            }
            """,
            Fixed(0, "waveOutWrite", "the driver plays the buffer until it sets WHDR_DONE"));

    [Fact]
    public Task MidiAndAcmHeaders()
        => VerifyFixed.VerifyAsync(WinMM + """
            unsafe static class Codec
            {
                public static void Prepare(IntPtr midiOut, IntPtr stream, byte[] midi, byte[] source, byte[] target)
                {
                    fixed (byte* m = midi)
                    fixed (byte* s = source)
                    fixed (byte* d = target)
                    {
                        WinMM.midiOutPrepareHeader(midiOut, {|#0:(IntPtr)m|}, 64);
                        var header = new ACMSTREAMHEADER { cbStruct = sizeof(ACMSTREAMHEADER), pbSrc = (IntPtr)s, cbSrcLength = source.Length, pbDst = (IntPtr)d, cbDstLength = target.Length };
                        WinMM.acmStreamPrepareHeader(stream, {|#1:ref header|}, 0);
                    }
                }
            }
            """,
            Fixed(0, "midiOutPrepareHeader", Unprepared),
            // One finding per pin: the header carries both the source and the destination buffer.
            Fixed(1, "acmStreamPrepareHeader", "the ACM uses the header and its buffers until they are unprepared"),
            Fixed(1, "acmStreamPrepareHeader", "the ACM uses the header and its buffers until they are unprepared"));

    [Fact]
    public Task WaveBufferHandlesHeldInFieldsArePIN1001NotPIN2002()
        => VerifyHandle.VerifyAsync(WinMM + """
            unsafe sealed class WaveBuffer : IDisposable
            {
                private readonly byte[] _buffer = new byte[4096];
                private WAVEHDR[] _header = new WAVEHDR[1];
                private GCHandle _bufferHandle;
                private GCHandle _headerHandle;

                public WaveBuffer(IntPtr waveOut)
                {
                    // Long-lived pins in fields are PIN1001's (as for any field), never PIN2002: they do not end here.
                    _bufferHandle = {|PIN1001:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
                    _headerHandle = {|PIN1001:GCHandle.Alloc(_header, GCHandleType.Pinned)|};
                    _header[0].lpData = _bufferHandle.AddrOfPinnedObject();
                    WinMM.waveOutPrepareHeader(waveOut, (WAVEHDR*)_headerHandle.AddrOfPinnedObject(), sizeof(WAVEHDR));
                }

                public void Dispose()
                {
                    _headerHandle.Free();
                    _bufferHandle.Free();
                }
            }
            """);

    // ---- XAudio2 ----

    private const string XAudio2 = """
        using System;

        namespace TerraFX.Interop.DirectX
        {
            public unsafe struct XAUDIO2_BUFFER
            {
                public uint Flags;
                public uint AudioBytes;
                public byte* pAudioData;
                public uint PlayBegin;
                public uint PlayLength;
                public uint LoopBegin;
                public uint LoopLength;
                public uint LoopCount;
                public void* pContext;
            }

            public unsafe struct IXAudio2SourceVoice
            {
                public int SubmitSourceBuffer(XAUDIO2_BUFFER* pBuffer, void* pBufferWMA = null) => 0;
            }
        }

        namespace Vortice.XAudio2
        {
            public struct AudioBuffer
            {
                public BufferFlags Flags;
                public int AudioBytes;
                public IntPtr AudioDataPointer;
            }

            public enum BufferFlags { None = 0, EndOfStream = 64 }

            public class IXAudio2SourceVoice
            {
                public void SubmitSourceBuffer(AudioBuffer buffer, object? bufferWma = null) { }
            }
        }

        namespace MyAudio
        {
            public unsafe sealed class Voice
            {
                public void SubmitSourceBuffer(TerraFX.Interop.DirectX.XAUDIO2_BUFFER* pBuffer) { }
            }
        }

        """;

    private const string BufferEnd = "the voice plays the audio data until the buffer ends";

    [Fact]
    public Task TerraFxSubmitSourceBufferOfAPinnedAudioBuffer()
        => VerifyFixed.VerifyAsync(XAudio2 + """
            namespace Game
            {
                using TerraFX.Interop.DirectX;

                unsafe static class Sound
                {
                    public static void Play(IXAudio2SourceVoice* voice, byte[] samples)
                    {
                        fixed (byte* p = samples)
                        {
                            XAUDIO2_BUFFER buffer = default;
                            buffer.AudioBytes = (uint)samples.Length;
                            buffer.pAudioData = p;
                            buffer.Flags = 0x40;
                            voice->SubmitSourceBuffer({|#0:&buffer|});
                        }
                    }
                }
            }
            """,
            Fixed(0, "SubmitSourceBuffer", BufferEnd));

    [Fact]
    public Task VorticeSubmitSourceBufferOfAPinnedAudioBuffer()
        => VerifyFixed.VerifyAsync(XAudio2 + """
            namespace Game
            {
                using Vortice.XAudio2;

                unsafe static class Sound
                {
                    public static void Play(IXAudio2SourceVoice voice, byte[] samples)
                    {
                        fixed (byte* p = samples)
                        {
                            voice.SubmitSourceBuffer({|#0:new AudioBuffer { AudioDataPointer = (IntPtr)p, AudioBytes = samples.Length, Flags = BufferFlags.EndOfStream }|});
                        }
                    }
                }
            }
            """,
            Fixed(0, "SubmitSourceBuffer", BufferEnd));

    [Fact]
    public Task SubmitSourceBufferOfAPinnedDescriptorOrOnAnotherTypeIsNotReported()
        => VerifyFixed.VerifyAsync(XAudio2 + """
            namespace Game
            {
                using TerraFX.Interop.DirectX;

                unsafe sealed class Sound
                {
                    private readonly XAUDIO2_BUFFER[] _buffers = new XAUDIO2_BUFFER[4];

                    public void Play(IXAudio2SourceVoice* voice, MyAudio.Voice mine, byte[] samples)
                    {
                        // The XAUDIO2_BUFFER itself is copied; its audio data here is native memory.
                        fixed (XAUDIO2_BUFFER* b = _buffers)
                        {
                            voice->SubmitSourceBuffer(b);
                        }

                        fixed (byte* p = samples)
                        {
                            XAUDIO2_BUFFER buffer = default;
                            buffer.pAudioData = p;
                            mine.SubmitSourceBuffer(&buffer);
                        }
                    }
                }
            }
            """);

    // ---- libuv ----

    private const string LibUv = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct uv_buf_t
        {
            public IntPtr @base;
            public nint len;
        }

        unsafe static class Uv
        {
            [DllImport("libuv")] public static extern int uv_write(IntPtr req, IntPtr handle, uv_buf_t* bufs, uint nbufs, IntPtr cb);
            [DllImport("libuv")] public static extern int uv_write2(IntPtr req, IntPtr handle, uv_buf_t* bufs, uint nbufs, IntPtr send_handle, IntPtr cb);
            [DllImport("libuv")] public static extern int uv_try_write(IntPtr handle, uv_buf_t* bufs, uint nbufs);
            [DllImport("libuv")] public static extern int uv_udp_send(IntPtr req, IntPtr handle, uv_buf_t* bufs, uint nbufs, IntPtr addr, IntPtr send_cb);
        }

        """;

    [Fact]
    public Task UvWritesOfAPinnedBuffer()
        => VerifyFixed.VerifyAsync(LibUv + """
            unsafe static class Stream
            {
                public static void Send(IntPtr req, IntPtr handle, IntPtr address, IntPtr cb, byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        var buf = new uv_buf_t { @base = (IntPtr)p, len = data.Length };
                        Uv.uv_write(req, handle, {|#0:&buf|}, 1, cb);
                        Uv.uv_write2(req, handle, {|#1:&buf|}, 1, IntPtr.Zero, cb);
                        Uv.uv_udp_send(req, handle, {|#2:&buf|}, 1, address, cb);
                    }
                }
            }
            """,
            Fixed(0, "uv_write", "libuv writes the buffers until the write callback runs"),
            Fixed(1, "uv_write2", "libuv writes the buffers until the write callback runs"),
            Fixed(2, "uv_udp_send", "libuv sends the buffers until the send callback runs"));

    [Fact]
    public Task UvTryWriteAndPinnedBufferArraysAreNotReported()
        => VerifyFixed.VerifyAsync(LibUv + """
            unsafe static class Stream
            {
                public static void Send(IntPtr req, IntPtr handle, IntPtr cb, byte[] data, uv_buf_t[] nativeBuffers)
                {
                    fixed (byte* p = data)
                    {
                        var buf = new uv_buf_t { @base = (IntPtr)p, len = data.Length };
                        Uv.uv_try_write(handle, &buf, 1);
                    }

                    // The uv_buf_t array is copied by libuv; the memory its entries describe is native here.
                    fixed (uv_buf_t* bufs = nativeBuffers)
                    {
                        Uv.uv_write(req, handle, bufs, (uint)nativeBuffers.Length, cb);
                    }
                }
            }
            """);

    // ---- SQLite ----

    private const string Sqlite = """
        using System;
        using System.Runtime.InteropServices;

        unsafe static class Sqlite3
        {
            public const int SQLITE_STATIC_VALUE = 0;
            public static readonly IntPtr SQLITE_STATIC = IntPtr.Zero;
            public static readonly IntPtr SQLITE_TRANSIENT = new IntPtr(-1);

            [DllImport("e_sqlite3")] public static extern int sqlite3_bind_blob(IntPtr stmt, int index, byte* value, int n, IntPtr destructor);
            [DllImport("e_sqlite3")] public static extern int sqlite3_bind_blob64(IntPtr stmt, int index, byte* value, ulong n, IntPtr destructor);
            [DllImport("e_sqlite3")] public static extern int sqlite3_bind_text(IntPtr stmt, int index, byte* value, int n, IntPtr destructor);
            [DllImport("e_sqlite3")] public static extern int sqlite3_bind_text16(IntPtr stmt, int index, char* value, int n, IntPtr destructor);
            [DllImport("e_sqlite3")] public static extern int sqlite3_bind_text64(IntPtr stmt, int index, byte* value, ulong n, IntPtr destructor, byte encoding);
        }

        """;

    private const string SqliteStatic = "with SQLITE_STATIC, SQLite reads the value until the statement is finalized or the parameter is rebound";

    [Fact]
    public Task SqliteBindsWithSqliteStatic()
        => VerifyFixed.VerifyAsync(Sqlite + """
            unsafe static class Statement
            {
                public static void Bind(IntPtr stmt, byte[] blob, byte[] utf8, string text)
                {
                    fixed (byte* b = blob)
                    fixed (byte* u = utf8)
                    fixed (char* t = text)
                    {
                        Sqlite3.sqlite3_bind_blob(stmt, 1, {|#0:b|}, blob.Length, IntPtr.Zero);
                        Sqlite3.sqlite3_bind_blob64(stmt, 2, {|#1:b|}, (ulong)blob.Length, default);
                        Sqlite3.sqlite3_bind_text(stmt, 3, {|#2:u|}, utf8.Length, (IntPtr)0);
                        Sqlite3.sqlite3_bind_text16(stmt, 4, {|#3:t|}, text.Length * 2, Sqlite3.SQLITE_STATIC);
                        Sqlite3.sqlite3_bind_text64(stmt, 5, {|#4:u|}, (ulong)utf8.Length, (IntPtr)Sqlite3.SQLITE_STATIC_VALUE, 1);
                    }
                }
            }
            """,
            Fixed(0, "sqlite3_bind_blob", SqliteStatic),
            Fixed(1, "sqlite3_bind_blob64", SqliteStatic),
            Fixed(2, "sqlite3_bind_text", SqliteStatic),
            Fixed(3, "sqlite3_bind_text16", SqliteStatic),
            Fixed(4, "sqlite3_bind_text64", SqliteStatic));

    [Fact]
    public Task SqliteBindsWithSqliteTransientOrAnUnknownDestructorAreNotReported()
        => VerifyFixed.VerifyAsync(Sqlite + """
            unsafe static class Statement
            {
                public static void Bind(IntPtr stmt, byte[] blob, string text, IntPtr destructor)
                {
                    fixed (byte* b = blob)
                    fixed (char* t = text)
                    {
                        Sqlite3.sqlite3_bind_blob(stmt, 1, b, blob.Length, new IntPtr(-1));
                        Sqlite3.sqlite3_bind_blob(stmt, 1, b, blob.Length, (IntPtr)(-1));
                        Sqlite3.sqlite3_bind_blob64(stmt, 2, b, (ulong)blob.Length, Sqlite3.SQLITE_TRANSIENT);
                        Sqlite3.sqlite3_bind_text16(stmt, 3, t, text.Length * 2, destructor);
                    }
                }
            }
            """);

    [Fact]
    public Task SqliteEntryPointOnADifferentlyNamedImportIsMatched()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static partial class Native
            {
                [DllImport("sqlite3", EntryPoint = "sqlite3_bind_blob")]
                private static extern int BindBlob(IntPtr stmt, int index, byte* value, int n, IntPtr destructor);

                [LibraryImport("sqlite3", EntryPoint = "sqlite3_bind_text")]
                private static partial int BindText(IntPtr stmt, int index, byte* value, int n, IntPtr destructor);
                private static partial int BindText(IntPtr stmt, int index, byte* value, int n, IntPtr destructor) => 0;

                public static void Bind(IntPtr stmt, byte[] blob)
                {
                    fixed (byte* b = blob)
                    {
                        BindBlob(stmt, 1, {|#0:b|}, blob.Length, IntPtr.Zero);
                        BindText(stmt, 2, {|#1:b|}, blob.Length, IntPtr.Zero);
                    }
                }
            }
            """,
            Fixed(0, "BindBlob", SqliteStatic),
            Fixed(1, "BindText", SqliteStatic));

    [Fact]
    public Task ManagedMethodNamedLikeTheEntryPointIsNotMatched()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                // An import under another entry point, and a managed helper that copies: neither is sqlite3_bind_blob.
                [DllImport("sqlite3", EntryPoint = "sqlite3_bind_int")]
                private static extern int sqlite3_bind_blob(IntPtr stmt, int index, byte* value, int n, IntPtr destructor);

                private static int sqlite3_bind_text(IntPtr stmt, int index, byte* value, int n, IntPtr destructor) => 0;

                public static void Bind(IntPtr stmt, byte[] blob)
                {
                    fixed (byte* b = blob)
                    {
                        sqlite3_bind_blob(stmt, 1, b, blob.Length, IntPtr.Zero);
                        sqlite3_bind_text(stmt, 2, b, blob.Length, IntPtr.Zero);
                    }
                }
            }
            """);

    [Fact]
    public Task SqliteStaticBindOfAnUnreleasedHandleFieldIsPIN1001Only()
        => VerifyHandle.VerifyAsync(Sqlite + """
            unsafe sealed class Statement
            {
                private GCHandle _pin;

                public void Bind(IntPtr stmt, byte[] blob)
                {
                    _pin = {|PIN1001:GCHandle.Alloc(blob, GCHandleType.Pinned)|};
                    Sqlite3.sqlite3_bind_blob(stmt, 1, (byte*)_pin.AddrOfPinnedObject(), blob.Length, IntPtr.Zero);
                }
            }
            """);

    // ---- libcurl ----

    private const string Curl = """
        using System;
        using System.Runtime.InteropServices;

        enum CURLoption
        {
            URL = 10002,
            ERRORBUFFER = 10010,
            POSTFIELDS = 10015,
            COPYPOSTFIELDS = 10165,
        }

        static class Curl
        {
            public const int CURLOPT_POSTFIELDS = 10015;
            public const int CURLOPT_COPYPOSTFIELDS = 10165;

            [DllImport("libcurl")] public static extern int curl_easy_setopt(IntPtr handle, int option, IntPtr value);

            // CurlThin's shape: an enum option and a differently named import.
            [DllImport("libcurl", EntryPoint = "curl_easy_setopt")] public static extern int SetOpt(IntPtr handle, CURLoption option, IntPtr value);
        }

        """;

    [Fact]
    public Task CurlPostFieldsAndErrorBuffer()
        => VerifyFixed.VerifyAsync(Curl + """
            unsafe static class Request
            {
                public static void Post(IntPtr easy, byte[] body, byte[] errors)
                {
                    fixed (byte* p = body)
                    fixed (byte* e = errors)
                    {
                        Curl.curl_easy_setopt(easy, Curl.CURLOPT_POSTFIELDS, {|#0:(IntPtr)p|});
                        Curl.SetOpt(easy, CURLoption.POSTFIELDS, {|#1:(IntPtr)p|});
                        Curl.curl_easy_setopt(easy, 10010, {|#2:(IntPtr)e|});
                    }
                }
            }
            """,
            Fixed(0, "curl_easy_setopt", "libcurl sends the POST data from that memory during the transfer"),
            Fixed(1, "SetOpt", "libcurl sends the POST data from that memory during the transfer"),
            Fixed(2, "curl_easy_setopt", "libcurl writes error messages into the buffer during later transfers"));

    [Fact]
    public Task CurlCopyPostFieldsOtherOptionsAndUnknownOptionsAreNotReported()
        => VerifyFixed.VerifyAsync(Curl + """
            unsafe static class Request
            {
                public static void Post(IntPtr easy, byte[] body, byte[] url, int option)
                {
                    fixed (byte* p = body)
                    fixed (byte* u = url)
                    {
                        Curl.curl_easy_setopt(easy, Curl.CURLOPT_COPYPOSTFIELDS, (IntPtr)p);
                        Curl.SetOpt(easy, CURLoption.COPYPOSTFIELDS, (IntPtr)p);
                        Curl.SetOpt(easy, CURLoption.URL, (IntPtr)u);
                        Curl.curl_easy_setopt(easy, option, (IntPtr)p);
                    }
                }
            }
            """);

    // ---- ZeroMQ ----

    [Fact]
    public Task ZmqMsgInitDataKeepsDataNotHint()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Zmq
            {
                [DllImport("libzmq")] private static extern int zmq_msg_init_data(IntPtr msg, IntPtr data, nuint size, IntPtr ffn, IntPtr hint);

                public static void Init(IntPtr msg, byte[] payload, byte[] state, IntPtr free)
                {
                    fixed (byte* p = payload)
                    fixed (byte* s = state)
                    {
                        zmq_msg_init_data(msg, {|#0:(IntPtr)p|}, (nuint)payload.Length, free, (IntPtr)s);
                    }
                }
            }
            """,
            Fixed(0, "zmq_msg_init_data", "ZeroMQ owns the buffer until its free callback runs"));

    // ---- registrations added with the catalogue ----

    [Fact]
    public Task IbvRegMrIovaAndRegisterBuffersTags()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Rdma
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr_iova(IntPtr pd, void* addr, nuint length, ulong iova, int access);
                [DllImport("uring")] private static extern int io_uring_register_buffers_tags(IntPtr ring, void* iovecs, ulong* tags, uint count);

                public static void Register(IntPtr pd, IntPtr ring, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        ibv_reg_mr_iova(pd, {|#0:p|}, (nuint)buffer.Length, 0, 7);
                        io_uring_register_buffers_tags(ring, {|#1:p|}, null, 1);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr_iova", ": the registration may still be active when the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("io_uring_register_buffers_tags", ": the registration may still be active when the fixed statement ends"));

    // ---- combinations and broken code ----

    [Fact]
    public Task ValidShapesNextToATrueFinding()
        => VerifyFixed.VerifyAsync(Sqlite + """
            unsafe static class Statement
            {
                public static void Bind(IntPtr stmt, byte[] a, byte[] b)
                {
                    fixed (byte* p = a)
                    fixed (byte* q = b)
                    {
                        Sqlite3.sqlite3_bind_blob(stmt, 1, p, a.Length, Sqlite3.SQLITE_TRANSIENT);
                        Sqlite3.sqlite3_bind_blob(stmt, 2, {|#0:q|}, b.Length, IntPtr.Zero);
                        Sqlite3.sqlite3_bind_blob(stmt, 3, p, a.Length, new IntPtr(-1));
                    }
                }
            }
            """,
            Fixed(0, "sqlite3_bind_blob", SqliteStatic));

    [Fact]
    public Task HalfTypedCatalogueCallsDoNotCrash()
        => VerifyFixed.VerifyNoCrashAsync(Sqlite + Curl.Replace("using System;\nusing System.Runtime.InteropServices;\n", string.Empty) + """
            unsafe static class Statement
            {
                public static void Bind(IntPtr stmt, IntPtr easy, byte[] a)
                {
                    fixed (byte* p = a)
                    {
                        Sqlite3.sqlite3_bind_blob(stmt, 1, p, a.Length, );
                        Sqlite3.sqlite3_bind_blob(stmt, 1, p);
                        Curl.curl_easy_setopt(easy, , (IntPtr)p);
                        Curl.SetOpt(easy, CURLoption., (IntPtr)p
                    }
                }
            """);

    // ---- the table itself: PIN4001's long-term question, and the rule page ----

    [Theory]
    [InlineData("ibv_reg_mr(pd, p, 4096, 7)", true)]
    [InlineData("ibv_reg_mr(pd, p, 4096, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND)", false)]
    [InlineData("ibv_reg_mr(pd, p, 4096, access)", true)]
    [InlineData("ibv_reg_mr_iova(pd, p, 4096, 0, 64)", false)]
    [InlineData("io_uring_register_buffers(ring, p, 1)", true)]
    [InlineData("sqlite3_bind_blob(stmt, 1, p, 16, IntPtr.Zero)", false)]
    [InlineData("aio_read(p)", false)]
    public void LongTermPinsForPIN4001(string call, bool longTerm)
    {
        var (method, parameter, invocation) = CallIn("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                const int IBV_ACCESS_LOCAL_WRITE = 1;
                const int IBV_ACCESS_ON_DEMAND = 64;

                [DllImport("ibverbs")] static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
                [DllImport("ibverbs")] static extern IntPtr ibv_reg_mr_iova(IntPtr pd, void* addr, nuint length, ulong iova, int access);
                [DllImport("uring")] static extern int io_uring_register_buffers(IntPtr ring, void* iovecs, uint count);
                [DllImport("e_sqlite3")] static extern int sqlite3_bind_blob(IntPtr stmt, int index, void* value, int n, IntPtr destructor);
                [DllImport("rt")] static extern int aio_read(void* control);

                static void Use(IntPtr pd, IntPtr ring, IntPtr stmt, void* p, int access)
                {
                    CALL;
                }
            }
            """.Replace("CALL", call));

        var api = RetainingApis.Find(method, parameter, invocation);
        Assert.NotNull(api);
        Assert.Equal(longTerm, api!.IsLongTerm(invocation));
    }

    [Fact]
    public void EveryEntryCitesItsDocumentation()
    {
        Assert.NotEmpty(RetainingApis.All);
        Assert.All(RetainingApis.All, api =>
        {
            Assert.False(string.IsNullOrWhiteSpace(api.Reason), api.Name);
            Assert.False(string.IsNullOrWhiteSpace(api.Source), api.Name);
            Assert.True(api.Match != RetainingMatch.Binding || !api.BindingTypes.IsEmpty, api.Name);
        });
    }

    [Fact]
    public void RulePageListsTheCatalogue()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "rules", "PIN2002.md")).Replace("\r\n", "\n");
        const string Start = "<!-- catalogue:start (generated from analyzer/Flow/RetainingApis.cs; RulePageListsTheCatalogue checks it) -->\n";
        const string End = "<!-- catalogue:end -->";
        var start = page.IndexOf(Start, StringComparison.Ordinal);
        var end = page.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/rules/PIN2002.md has no catalogue markers");
        var listed = page.Substring(start + Start.Length, end - start - Start.Length);
        Assert.Equal(RetainingApis.MarkdownTable(), listed);
    }

    private static (IMethodSymbol Method, IParameterSymbol Parameter, IOperation Call) CallIn(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source);
        var compilation = CSharpCompilation.Create(
            "Catalogue",
            new[] { tree },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var model = compilation.GetSemanticModel(tree);
        var syntax = tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>().Single();
        var invocation = (IInvocationOperation)model.GetOperation(syntax)!;
        var pointer = invocation.Arguments.First(a => a.Value.WalkDownConversions() is IParameterReferenceOperation { Parameter.Name: "p" });
        return (invocation.TargetMethod, pointer.Parameter!, invocation);
    }
}
