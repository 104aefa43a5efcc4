/**
 * A Capacitor app folder with installed native plugins, shaped to hit every rule of Capgo's
 * native_packages code: a full plugin (Java, Kotlin, Swift, ObjC, podspec, Package.swift twice,
 * build.gradle, a folder named *.podspec), a Cordova plugin (plugin.xml, sources outside android/ and ios/), a plugin hoisted
 * to the parent's node_modules, one whose only native file sits in a nested node_modules, a
 * `capacitor` block without native files, JS-only packages, and @capacitor/android + ios.
 */
import path from 'node:path'
import { writeTree } from './folders.js'

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

export interface NativeProject {
  /** The app folder (working-directory). */
  app: string
}

export async function makeNativeProject(
  root: string,
  options: { pluginVersion?: string } = {},
): Promise<NativeProject> {
  const app = path.join(root, 'app')
  const version = options.pluginVersion ?? '1.2.3'
  await writeTree(root, {
    'node_modules/hoisted-plugin/package.json': json({
      name: 'hoisted-plugin',
      version: '3.0.0',
      capacitor: { android: { src: 'android' } },
    }),
    'node_modules/hoisted-plugin/android/build.gradle.kts': 'plugins { id("com.android.library") }\n',
    'node_modules/hoisted-plugin/android/src/main/kotlin/Hoisted.kt': 'class Hoisted\n',
  })
  await writeTree(app, {
    'package.json': json({
      name: 'native-app',
      version: '2.0.0',
      dependencies: {
        '@capacitor/core': '^7.4.0',
        '@capacitor/android': '7.4.2',
        '@capacitor/ios': '7.4.2',
        'plugin-full': `^${version}`,
        'cordova-plugin': '~2.0.0',
        'js-only': '1.0.0',
        'capacitor-no-native': '1.0.0',
        'nested-only': '1.0.0',
      },
      devDependencies: { 'hoisted-plugin': '^3.0.0', 'plugin-full': `^${version}` },
    }),
    'node_modules/@capacitor/core/package.json': json({ name: '@capacitor/core', version: '7.4.2' }),
    'node_modules/@capacitor/core/dist/index.js': 'export {}\n',
    'node_modules/@capacitor/android/package.json': json({ name: '@capacitor/android', version: '7.4.2' }),
    'node_modules/@capacitor/android/capacitor/src/main/java/com/getcapacitor/Bridge.java': 'class Bridge {}\n',
    'node_modules/@capacitor/ios/package.json': json({ name: '@capacitor/ios', version: '7.4.2' }),
    'node_modules/@capacitor/ios/Capacitor/Capacitor/Bridge.swift': 'class Bridge {}\n',
    'node_modules/plugin-full/package.json': json({
      name: 'plugin-full',
      version,
      capacitor: { ios: { src: 'ios' }, android: { src: 'android' } },
    }),
    'node_modules/plugin-full/PluginFull.podspec': "Pod::Spec.new do |s| s.dependency 'Capacitor' end\n",
    // A folder named like a podspec: Capgo hashes its path, then fails to read it and goes on.
    'node_modules/plugin-full/Odd.podspec/readme.txt': 'odd\n',
    'node_modules/plugin-full/Package.swift': '// swift-tools-version: 5.9\n',
    'node_modules/plugin-full/ios/Package.swift': '// ios package\n',
    'node_modules/plugin-full/ios/Sources/PluginFull/PluginFull.swift': `let version = "${version}"\n`,
    'node_modules/plugin-full/ios/Sources/PluginFull/Helper.m': '@implementation Helper @end\n',
    'node_modules/plugin-full/ios/Tests/a.swift': 'a\n',
    'node_modules/plugin-full/ios/Tests/B.swift': 'B\n',
    'node_modules/plugin-full/android/build.gradle': "dependencies { implementation 'x:y:1' }\n",
    'node_modules/plugin-full/android/src/main/java/com/x/Plugin.java': 'class Plugin {}\n',
    'node_modules/plugin-full/android/src/main/java/com/x/Util.kt': 'object Util\n',
    'node_modules/plugin-full/android/src/main/java/com/x/Émoji.java': 'class Emoji {}\n',
    'node_modules/plugin-full/android/src/main/java/com/x/_under.java': 'class Under {}\n',
    'node_modules/plugin-full/android/src/main/res/values/strings.xml': '<resources/>\n',
    'node_modules/plugin-full/node_modules/inner/android/Inner.java': 'class Inner {}\n',
    'node_modules/plugin-full/dist/esm/index.js': 'export {}\n',
    'node_modules/cordova-plugin/package.json': json({
      name: 'cordova-plugin',
      version: '2.0.1',
      cordova: { id: 'cordova-plugin' },
    }),
    'node_modules/cordova-plugin/plugin.xml': '<plugin id="cordova-plugin"/>\n',
    'node_modules/cordova-plugin/src/android/CordovaThing.java': 'class CordovaThing {}\n',
    'node_modules/cordova-plugin/src/ios/CDVThing.swift': 'class CDVThing {}\n',
    'node_modules/js-only/package.json': json({ name: 'js-only', version: '1.0.0' }),
    'node_modules/js-only/Fake.java': 'not a plugin\n',
    'node_modules/capacitor-no-native/package.json': json({
      name: 'capacitor-no-native',
      version: '1.0.0',
      capacitor: { android: {} },
    }),
    'node_modules/capacitor-no-native/android/build.gradle': 'apply plugin\n',
    'node_modules/nested-only/package.json': json({ name: 'nested-only', version: '1.0.0', capacitor: { ios: {} } }),
    'node_modules/nested-only/node_modules/dep/ios/Dep.swift': 'class Dep {}\n',
  })
  return { app }
}
